//! One workspace's forwarder: log entries in, bulk calls out, one call at a time (so a
//! customer's elements arrive in accepted order), state recorded per batch.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hookmap::Record;
use hyper::Uri;
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use tokio::sync::watch;

use super::client::{self, BaseUrl, Client};
use super::elements::{self, Call, CustomerElement, EventElement, Items, Packer};
use super::state::{BatchResult, NewDead, NewHeld, Tally};
use super::{ApiKey, Shared, Source, SourceItem, WorkspaceMetrics};
use crate::config::DeliveryLimits;
use crate::log::{Content, Entry, encoding};
use crate::now_ms;

/// A workspace's destination, resolved.
#[derive(Debug)]
pub(crate) struct Destination {
    pub workspace: String,
    pub remote_id: String,
    pub base: BaseUrl,
    pub key: ApiKey,
    pub limits: DeliveryLimits,
}

/// The forwarder was told to stop.
#[derive(Debug)]
pub(crate) struct Stopped;

/// How a bulk call ended for good.
#[derive(Clone, Debug)]
enum CallEnd {
    Delivered,
    Dead { kind: &'static str, reason: String, attempts: i64 },
}

pub(crate) struct Forwarder {
    ws: String,
    limits: DeliveryLimits,
    uri: Option<Uri>,
    auth: HeaderValue,
    source: Arc<dyn Source>,
    shared: Arc<Shared>,
    metrics: Arc<WorkspaceMetrics>,
    client: Client,
    limiter: Limiter,
    aliases: HashMap<String, String>,
    progress: Option<u64>,
    rng: u64,
}

impl Forwarder {
    pub(crate) fn new(d: Destination, source: Arc<dyn Source>, shared: Arc<Shared>, client: Client) -> Self {
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", d.remote_id, d.key.0));
        let mut auth =
            HeaderValue::from_str(&format!("Basic {credentials}")).unwrap_or(HeaderValue::from_static(""));
        auth.set_sensitive(true);
        let metrics = shared.metrics.get(&d.workspace).cloned().unwrap_or_default();
        let seed = now_ms() as u64
            ^ d.workspace
                .bytes()
                .fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
        Forwarder {
            uri: d.base.bulk(&d.remote_id).ok(),
            ws: d.workspace,
            limits: d.limits,
            auth,
            source,
            shared,
            metrics,
            client,
            limiter: Limiter::new(d.limits, Instant::now()),
            aliases: HashMap::new(),
            progress: None,
            rng: seed | 1,
        }
    }

    pub(crate) async fn run(mut self, mut stop: watch::Receiver<bool>) {
        tracing::info!(workspace = %self.ws, "delivery started");
        while let Err(e) = self.load() {
            tracing::error!(workspace = %self.ws, error = %e, "cannot read the delivery state; will retry");
            if sleep(&mut stop, Duration::from_secs(1)).await.is_err() {
                return;
            }
        }
        loop {
            if *stop.borrow() {
                break;
            }
            // Listening before looking at the retries, so a retry asked for meanwhile wakes
            // the wait below.
            let shared = self.shared.clone();
            let retry_signal = shared.retry_signal.notified();
            tokio::pin!(retry_signal);
            retry_signal.as_mut().enable();
            match self.redo_retries(&mut stop).await {
                Ok(()) => {}
                Err(Failure::Stopped) => break,
                Err(Failure::Error(e)) => {
                    tracing::error!(workspace = %self.ws, error = %e, "retrying dead items failed; will retry");
                    if sleep(&mut stop, Duration::from_secs(1)).await.is_err() {
                        break;
                    }
                    continue;
                }
            }
            self.update_backlog().await;
            let batch = tokio::select! {
                batch = self.source.next(&self.ws, self.limits.batch_entries) => batch,
                _ = retry_signal => continue,
                _ = stop.changed() => break,
            };
            let result = match batch {
                Ok(batch) => self.deliver(batch, &mut stop).await,
                Err(e) => Err(Failure::Error(format!("reading the log: {e}"))),
            };
            match result {
                Ok(()) => {}
                Err(Failure::Stopped) => break,
                Err(Failure::Error(e)) => {
                    tracing::error!(workspace = %self.ws, error = %e, "delivery batch failed; will retry");
                    // What was planned in memory may be ahead of what was stored.
                    let _ = self.load();
                    if sleep(&mut stop, Duration::from_secs(1)).await.is_err() {
                        break;
                    }
                }
            }
        }
        tracing::info!(workspace = %self.ws, "delivery stopped");
    }

    fn load(&mut self) -> Result<(), String> {
        self.aliases = self.shared.state.aliases(&self.ws).map_err(|e| e.to_string())?;
        self.progress = self.shared.state.progress(&self.ws).map_err(|e| e.to_string())?;
        Ok(())
    }

    async fn update_backlog(&self) {
        match self.source.backlog(&self.ws).await {
            Ok(n) => {
                self.metrics.queued.store(n, Relaxed);
                if n == 0 {
                    self.metrics.oldest_ms.store(0, Relaxed);
                }
            }
            Err(e) => tracing::warn!(workspace = %self.ws, error = %e, "cannot count the queue"),
        }
    }

    async fn deliver(
        &mut self,
        batch: Vec<SourceItem>,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), Failure> {
        let Some(through) = batch.iter().map(|(p, _)| *p).max() else { return Ok(()) };
        let now = now_ms();
        let oldest = batch.iter().filter_map(|(_, e)| e.as_ref().ok().map(|e| e.received_at_ms)).min();
        if let Some(oldest) = oldest {
            self.metrics.oldest_ms.store(oldest.max(1) as u64, Relaxed);
        }
        let fresh: Vec<SourceItem> =
            batch.into_iter().filter(|(p, _)| self.progress.is_none_or(|done| *p > done)).collect();
        let mut plan = Plan::default();
        for (position, item) in &fresh {
            match item {
                Ok(entry) => self.plan_entry(&mut plan, entry, now)?,
                Err(reason) => {
                    let request_id = format!("log position {position}");
                    let t = plan.tally(&request_id);
                    plan.tallies[t].1.elements += 1;
                    plan.tallies[t].1.dead += 1;
                    plan.dead.push(NewDead {
                        request_id,
                        element_index: 0,
                        kind: "unreadable",
                        reason: format!("the log entry could not be read: {reason}"),
                        element: "null".into(),
                        attempts: 0,
                    });
                }
            }
        }
        // Bulk calls, in order, one at a time.
        let mut packer = Packer::default();
        let mut calls: Vec<Call> = Vec::new();
        for (i, e) in plan.elements.iter().enumerate() {
            calls.extend(packer.push(i, &e.bytes, e.items));
        }
        calls.extend(packer.finish());
        let mut ends: Vec<Option<CallEnd>> = vec![None; plan.elements.len()];
        for call in calls {
            let ids = request_ids(&plan, &call.members);
            let end = self.send(Bytes::from(call.body), call.items, &ids, stop).await?;
            for m in call.members {
                ends[m] = Some(end.clone());
            }
        }
        let mut result = BatchResult { through: Some(through), ..BatchResult::default() };
        for (element, end) in plan.elements.into_iter().zip(ends) {
            let tally = &mut plan.tallies[element.request].1;
            match end {
                Some(CallEnd::Delivered) => {
                    tally.delivered += 1;
                    self.metrics.delivered.fetch_add(1, Relaxed);
                }
                Some(CallEnd::Dead { kind, reason, attempts }) => {
                    tally.dead += 1;
                    tally.last_error = Some(reason.clone());
                    self.metrics.dead.fetch_add(1, Relaxed);
                    result.dead.push(NewDead {
                        request_id: plan.tallies[element.request].0.clone(),
                        element_index: element.index,
                        kind,
                        reason,
                        element: String::from_utf8_lossy(&element.bytes).into_owned(),
                        attempts,
                    });
                }
                // Every element is in a call; none is left without an end.
                None => {}
            }
        }
        self.metrics.dead.fetch_add(plan.dead.len() as u64, Relaxed);
        self.metrics.held.fetch_add(plan.held.len() as u64, Relaxed);
        result.dead.extend(plan.dead);
        result.tallies = plan.tallies;
        result.held = plan.held;
        result.released = plan.released;
        result.aliases = plan.aliases;
        let state = self.shared.state.clone();
        let ws = self.ws.clone();
        tokio::task::spawn_blocking(move || state.finish(&ws, &result, now_ms()))
            .await
            .map_err(|e| Failure::Error(e.to_string()))?
            .map_err(|e| Failure::Error(format!("recording the batch: {e}")))?;
        self.progress = Some(through);
        self.source
            .commit(&self.ws, through)
            .await
            .map_err(|e| Failure::Error(format!("committing: {e}")))?;
        Ok(())
    }

    fn plan_entry(&mut self, plan: &mut Plan, entry: &Entry, now: i64) -> Result<(), Failure> {
        let t = plan.tally(&entry.request_id);
        if let Content::Records(records) = &entry.content {
            for (i, record) in records.iter().enumerate() {
                self.plan_record(plan, t, entry, i as i64, record, None, now)?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_record(
        &mut self,
        plan: &mut Plan,
        t: usize,
        entry: &Entry,
        index: i64,
        record: &Record<'static>,
        customer: Option<&str>,
        now: i64,
    ) -> Result<(), Failure> {
        match record {
            Record::Event(e) => {
                let customer: String = match (customer, &e.customer_id, &e.anon_id) {
                    (Some(c), _, _) => c.to_owned(),
                    (None, Some(c), Some(anon)) => {
                        self.identify(plan, anon, c, now)?;
                        c.to_string()
                    }
                    (None, Some(c), None) => c.to_string(),
                    (None, None, Some(anon)) => match self.aliases.get(&**anon) {
                        Some(c) => c.clone(),
                        None => {
                            // Held until a record carries both ids (docs/delivery.md).
                            let held =
                                Entry { content: Content::Records(vec![record.clone()]), ..entry.clone() };
                            plan.tallies[t].1.held += 1;
                            plan.held.push(NewHeld {
                                anon_id: anon.to_string(),
                                request_id: entry.request_id.clone(),
                                record_index: index,
                                entry: encoding::encode(&held),
                            });
                            return Ok(());
                        }
                    },
                    (None, None, None) => {
                        plan.refuse(
                            t,
                            index * 2 + 1,
                            "the event has neither customer_id nor anon_id".into(),
                            b"null",
                        );
                        return Ok(());
                    }
                };
                if !e.user_attributes.is_empty() {
                    let element = CustomerElement {
                        customer_id: &customer,
                        attributes: &e.user_attributes,
                        update_existing_only: false,
                    };
                    let check = elements::check_customer(&customer, &e.user_attributes);
                    plan.add(t, index * 2, &element, check, Items { events: 0, users: 1 });
                }
                let element = EventElement { customer_id: &customer, event: e, current_time_ms: now };
                let check = elements::check_event(&customer, e, now);
                plan.add(t, index * 2 + 1, &element, check, Items { events: 1, users: 0 });
            }
            Record::User(p) => {
                let element = CustomerElement::of_profile(p);
                let check = elements::check_customer(&p.customer_id, &p.user_attributes);
                plan.add(t, index * 2, &element, check, Items { events: 0, users: 1 });
            }
        }
        Ok(())
    }

    /// `anon` is `customer`: from now on its records go out under `customer`, starting with the
    /// ones held for it, in their accepted order. An anonymous id is tied to the first customer
    /// it is seen with.
    fn identify(&mut self, plan: &mut Plan, anon: &str, customer: &str, now: i64) -> Result<(), Failure> {
        if self.aliases.contains_key(anon) {
            return Ok(());
        }
        self.aliases.insert(anon.to_owned(), customer.to_owned());
        plan.aliases.push((anon.to_owned(), customer.to_owned()));
        let stored = self.shared.state.held(&self.ws, anon).map_err(|e| Failure::Error(e.to_string()))?;
        for (seq, index, bytes) in stored {
            plan.released.push(seq);
            match encoding::decode(&bytes) {
                Ok(held) => {
                    let t = plan.tally(&held.request_id);
                    plan.tallies[t].1.held -= 1;
                    for record in held.records() {
                        self.plan_record(plan, t, &held, index, record, Some(customer), now)?;
                    }
                }
                Err(e) => {
                    let t = plan.tally(&format!("held record {seq}"));
                    plan.refuse(t, index * 2 + 1, format!("a held record could not be read: {e}"), b"null");
                }
            }
        }
        // Held earlier in this same batch.
        let (pending, rest): (Vec<NewHeld>, Vec<NewHeld>) =
            std::mem::take(&mut plan.held).into_iter().partition(|h| h.anon_id == anon);
        plan.held = rest;
        for h in pending {
            if let Ok(held) = encoding::decode(&h.entry) {
                let t = plan.tally(&held.request_id);
                plan.tallies[t].1.held -= 1;
                for record in held.records() {
                    self.plan_record(plan, t, &held, h.record_index, record, Some(customer), now)?;
                }
            }
        }
        Ok(())
    }

    /// Sends one bulk call until it is delivered or dead. 429 waits as the answer says and a
    /// 401/403 pauses the workspace; neither uses up attempts.
    async fn send(
        &mut self,
        body: Bytes,
        items: Items,
        ids: &[String],
        stop: &mut watch::Receiver<bool>,
    ) -> Result<CallEnd, Failure> {
        let Some(uri) = self.uri.clone() else {
            return Ok(CallEnd::Dead {
                kind: "refused",
                reason: "the bulk URL is not valid".into(),
                attempts: 0,
            });
        };
        let mut attempts: u32 = 0;
        let mut paused = false;
        loop {
            loop {
                match self.limiter.wait(items, Instant::now()) {
                    None => break,
                    Some(wait) => sleep(stop, wait).await?,
                }
            }
            if *stop.borrow() {
                return Err(Failure::Stopped);
            }
            let timeout = Duration::from_millis(self.limits.timeout_ms);
            let answer = tokio::select! {
                answer = self.client.post(uri.clone(), &self.auth, body.clone(), timeout) => answer,
                _ = stop.changed() => return Err(Failure::Stopped),
            };
            let failure = match answer {
                Ok(a) if (200..300).contains(&a.status) => {
                    self.metrics.call(&a.status.to_string());
                    if paused {
                        self.metrics.paused.store(0, Relaxed);
                        tracing::info!(workspace = %self.ws, "the Data API accepts the key again; delivery resumed");
                    }
                    return Ok(CallEnd::Delivered);
                }
                Ok(a) if a.status == 429 => {
                    self.metrics.call("429");
                    self.metrics.retried.fetch_add(1, Relaxed);
                    let wait = client::wait_after_429(&a.headers, now_ms());
                    tracing::warn!(workspace = %self.ws, wait_ms = wait.as_millis() as u64, "the Data API rate-limits this workspace (429)");
                    self.mark_retrying(
                        ids,
                        attempts,
                        format!("429 rate limited; waiting {} ms", wait.as_millis()),
                    )
                    .await;
                    sleep(stop, wait).await?;
                    continue;
                }
                Ok(a) if a.status == 401 || a.status == 403 => {
                    self.metrics.call(&a.status.to_string());
                    self.metrics.paused.store(1, Relaxed);
                    paused = true;
                    let reason =
                        format!("paused: the Data API answered {} ({})", a.status, body_text(&a.body));
                    tracing::error!(
                        workspace = %self.ws,
                        status = a.status,
                        "the Data API refuses this workspace's credentials; delivery paused (check the key and the workspace id)"
                    );
                    self.mark_retrying(ids, attempts, reason).await;
                    sleep(stop, Duration::from_millis(self.limits.pause_ms)).await?;
                    continue;
                }
                Ok(a) if a.status >= 500 => {
                    self.metrics.call(&a.status.to_string());
                    format!("the Data API answered {} ({})", a.status, body_text(&a.body))
                }
                Ok(a) => {
                    self.metrics.call(&a.status.to_string());
                    return Ok(CallEnd::Dead {
                        kind: "refused",
                        reason: format!("the Data API answered {}: {}", a.status, body_text(&a.body)),
                        attempts: i64::from(attempts) + 1,
                    });
                }
                Err(e) => {
                    self.metrics.call(match e {
                        client::CallError::Timeout => "timeout",
                        client::CallError::Connection(_) => "connection",
                    });
                    e.to_string()
                }
            };
            attempts += 1;
            if attempts >= self.limits.max_attempts {
                return Ok(CallEnd::Dead {
                    kind: "exhausted",
                    reason: format!("gave up after {attempts} attempts; the last: {failure}"),
                    attempts: i64::from(attempts),
                });
            }
            self.metrics.retried.fetch_add(1, Relaxed);
            let wait = self.backoff(attempts);
            tracing::warn!(workspace = %self.ws, attempts, wait_ms = wait.as_millis() as u64, error = %failure, "bulk call failed; will retry");
            self.mark_retrying(ids, attempts, failure).await;
            sleep(stop, wait).await?;
        }
    }

    async fn mark_retrying(&self, ids: &[String], attempts: u32, error: String) {
        let state = self.shared.state.clone();
        let ids = ids.to_vec();
        let done = tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            state.retrying(&refs, attempts, &error, now_ms())
        })
        .await;
        if let Ok(Err(e)) = done {
            tracing::warn!(workspace = %self.ws, error = %e, "cannot record the retry");
        }
    }

    /// Exponential backoff with jitter: base·2^(n-1), capped, times a random 50-100 %.
    fn backoff(&mut self, attempt: u32) -> Duration {
        let exp = self.limits.backoff_base_ms.saturating_mul(1u64 << (attempt - 1).min(30));
        let capped = exp.min(self.limits.backoff_max_ms);
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let factor = 0.5 + (self.rng % 1000) as f64 / 2000.0;
        Duration::from_millis((capped as f64 * factor) as u64)
    }

    /// Sends the dead items queued again by `POST /v1/dead/{id}/retry`.
    async fn redo_retries(&mut self, stop: &mut watch::Receiver<bool>) -> Result<(), Failure> {
        loop {
            let items =
                self.shared.state.retries(&self.ws, 200).map_err(|e| Failure::Error(e.to_string()))?;
            if items.is_empty() {
                return Ok(());
            }
            let mut packer = Packer::default();
            let mut calls = Vec::new();
            for (i, (_, _, element, _)) in items.iter().enumerate() {
                let items = if element.starts_with(r#"{"type":"event""#) {
                    Items { events: 1, users: 0 }
                } else {
                    Items { events: 0, users: 1 }
                };
                calls.extend(packer.push(i, element.as_bytes(), items));
            }
            calls.extend(packer.finish());
            for call in calls {
                let ids: Vec<(i64, String)> =
                    call.members.iter().map(|&m| (items[m].0, items[m].1.clone())).collect();
                let request_ids: Vec<String> = ids.iter().map(|(_, r)| r.clone()).collect();
                let end = self.send(Bytes::from(call.body), call.items, &request_ids, stop).await?;
                let (outcome, attempts) = match &end {
                    CallEnd::Delivered => {
                        self.metrics.delivered.fetch_add(ids.len() as u64, Relaxed);
                        (Ok(()), 1)
                    }
                    CallEnd::Dead { reason, attempts, .. } => (Err(reason.as_str()), *attempts),
                };
                self.shared
                    .state
                    .retried(&ids, outcome, attempts, now_ms())
                    .map_err(|e| Failure::Error(e.to_string()))?;
            }
        }
    }
}

/// Why a batch did not finish.
#[derive(Debug)]
pub(crate) enum Failure {
    Stopped,
    Error(String),
}

impl From<Stopped> for Failure {
    fn from(_: Stopped) -> Self {
        Failure::Stopped
    }
}

fn body_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() { "no body".into() } else { text.chars().take(2000).collect() }
}

/// Sleeps `d`, or returns `Stopped` when told to stop first.
async fn sleep(stop: &mut watch::Receiver<bool>, d: Duration) -> Result<(), Stopped> {
    if *stop.borrow() {
        return Err(Stopped);
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => Ok(()),
        _ = stop.changed() => Err(Stopped),
    }
}

fn request_ids(plan: &Plan, members: &[usize]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for &m in members {
        let id = &plan.tallies[plan.elements[m].request].0;
        if ids.last() != Some(id) && !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    ids
}

/// An element ready to send.
struct Planned {
    request: usize,
    index: i64,
    bytes: Vec<u8>,
    items: Items,
}

/// What a batch makes: elements to send, and what to record.
#[derive(Default)]
struct Plan {
    tallies: Vec<(String, Tally)>,
    by_request: HashMap<String, usize>,
    elements: Vec<Planned>,
    dead: Vec<NewDead>,
    held: Vec<NewHeld>,
    released: Vec<i64>,
    aliases: Vec<(String, String)>,
}

impl Plan {
    fn tally(&mut self, request_id: &str) -> usize {
        if let Some(&t) = self.by_request.get(request_id) {
            return t;
        }
        self.tallies.push((request_id.to_owned(), Tally::default()));
        self.by_request.insert(request_id.to_owned(), self.tallies.len() - 1);
        self.tallies.len() - 1
    }

    fn add(
        &mut self,
        t: usize,
        index: i64,
        element: &impl serde::Serialize,
        check: Result<(), String>,
        items: Items,
    ) {
        let mut bytes = Vec::with_capacity(256);
        elements::write(&mut bytes, element);
        let refusal = match check {
            Err(reason) => Some(reason),
            Ok(()) if bytes.is_empty() => Some("the element could not be encoded".into()),
            Ok(()) if !Packer::fits_alone(bytes.len()) => Some(format!(
                "the element is {} bytes; a bulk call carries at most {}",
                bytes.len(),
                elements::MAX_BULK_BYTES
            )),
            Ok(()) => None,
        };
        match refusal {
            Some(reason) => self.refuse(t, index, reason, if bytes.is_empty() { b"null" } else { &bytes }),
            None => {
                self.tallies[t].1.elements += 1;
                self.elements.push(Planned { request: t, index, bytes, items });
            }
        }
    }

    fn refuse(&mut self, t: usize, index: i64, reason: String, element: &[u8]) {
        let tally = &mut self.tallies[t].1;
        tally.elements += 1;
        tally.dead += 1;
        tally.last_error = Some(reason.clone());
        self.dead.push(NewDead {
            request_id: self.tallies[t].0.clone(),
            element_index: index,
            kind: "invalid",
            reason,
            element: String::from_utf8_lossy(element).into_owned(),
            attempts: 0,
        });
    }
}

/// The outbound rate limit: two token buckets (event items and user items per minute), each
/// holding a minute's worth, as the Data API counts by the minute.
#[derive(Debug)]
pub(crate) struct Limiter {
    events: Bucket,
    users: Bucket,
}

#[derive(Debug)]
struct Bucket {
    per_ms: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(per_minute: u64, now: Instant) -> Self {
        let capacity = per_minute.max(1) as f64;
        Bucket { per_ms: capacity / 60_000.0, capacity, tokens: capacity, last: now }
    }

    fn refill(&mut self, now: Instant) {
        let ms = now.saturating_duration_since(self.last).as_secs_f64() * 1000.0;
        self.tokens = (self.tokens + ms * self.per_ms).min(self.capacity);
        self.last = now;
    }

    /// How long until `n` items fit (a call larger than the bucket waits for a full one).
    fn shortfall(&self, n: u64) -> Option<Duration> {
        let need = (n as f64).min(self.capacity);
        (self.tokens < need).then(|| Duration::from_secs_f64((need - self.tokens) / self.per_ms / 1000.0))
    }
}

impl Limiter {
    pub(crate) fn new(limits: DeliveryLimits, now: Instant) -> Self {
        Limiter {
            events: Bucket::new(limits.events_per_minute, now),
            users: Bucket::new(limits.users_per_minute, now),
        }
    }

    /// Takes `items` and returns `None`, or returns how long to wait before asking again.
    pub(crate) fn wait(&mut self, items: Items, now: Instant) -> Option<Duration> {
        self.events.refill(now);
        self.users.refill(now);
        let wait = self.events.shortfall(items.events).max(self.users.shortfall(items.users));
        if wait.is_none() {
            self.events.tokens -= (items.events as f64).min(self.events.capacity);
            self.users.tokens -= (items.users as f64).min(self.users.capacity);
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_spends_a_minute_of_items_then_paces() {
        let limits =
            DeliveryLimits { events_per_minute: 600, users_per_minute: 60, ..DeliveryLimits::default() };
        let t0 = Instant::now();
        let mut l = Limiter::new(limits, t0);
        assert_eq!(l.wait(Items { events: 600, users: 0 }, t0), None, "a full minute at once");
        let wait = l.wait(Items { events: 10, users: 0 }, t0).expect("empty bucket");
        assert!((990..=1010).contains(&wait.as_millis()), "10 events at 10/s: {wait:?}");
        assert_eq!(l.wait(Items { events: 10, users: 0 }, t0 + Duration::from_secs(1)), None);
        // Users are counted on their own bucket.
        assert_eq!(l.wait(Items { events: 0, users: 60 }, t0 + Duration::from_secs(1)), None);
        assert!(l.wait(Items { events: 0, users: 1 }, t0 + Duration::from_secs(1)).is_some());
        // A call larger than the bucket waits for a full bucket, not forever.
        let mut l = Limiter::new(limits, t0);
        assert_eq!(l.wait(Items { events: 5000, users: 0 }, t0), None);
    }
}
