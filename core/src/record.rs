use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::Value;

/// One output record: an event (mapping type `events`) or a profile update (`users`).
///
/// Serializes to the records JSON of the conformance suite: an object with `"type": "event"` or
/// `"type": "user"` and the fields below.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record<'a> {
    /// An event, which also updates the profile of the user it belongs to.
    Event(Event<'a>),
    /// A profile update.
    User(Profile<'a>),
}

/// An event for one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    /// The identified user. At least one of `customer_id` and `anon_id` is set.
    pub customer_id: Option<Cow<'a, str>>,
    /// The anonymous user (a session or device id), merged into `customer_id` when both are set.
    pub anon_id: Option<Cow<'a, str>>,
    /// The event's name.
    pub event_name: Cow<'a, str>,
    /// When the event happened, in milliseconds since 1970-01-01T00:00:00Z.
    pub user_time: i64,
    /// The platform the event came from.
    pub platform: Platform,
    /// The sending application's version.
    pub app_version: Cow<'a, str>,
    /// Event attributes.
    pub attr: Attributes<'a>,
    /// Attributes to set on the user's profile.
    pub user_attributes: Attributes<'a>,
}

/// A profile update for one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile<'a> {
    /// The user.
    pub customer_id: Cow<'a, str>,
    /// When the update happened (milliseconds since the epoch), when the mapper maps it.
    pub user_time: Option<i64>,
    /// Update only a profile that exists already, when the mapper sets it.
    pub update_existing_only: Option<bool>,
    /// Attributes to set on the profile.
    pub user_attributes: Attributes<'a>,
}

/// The `platform` of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Platform {
    /// `"web"`
    Web,
    /// `"android"`
    Android,
    /// `"ios"`
    Ios,
    /// `"api"`
    Api,
}

impl Platform {
    /// Every platform, in the order the mapper format lists them.
    pub const ALL: [Platform; 4] = [Platform::Web, Platform::Android, Platform::Ios, Platform::Api];

    /// The name used in mapper files and records.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Web => "web",
            Platform::Android => "android",
            Platform::Ios => "ios",
            Platform::Api => "api",
        }
    }
}

/// Attributes in mapping order: first the keys the mapper names, then the keys `create_all`
/// copied. Keys are unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attributes<'a> {
    entries: Vec<(Cow<'a, str>, Value<'a>)>,
}

impl<'a> Attributes<'a> {
    /// No attributes.
    pub const fn new() -> Self {
        Attributes { entries: Vec::new() }
    }

    /// Room for `n` attributes.
    pub fn with_capacity(n: usize) -> Self {
        Attributes { entries: Vec::with_capacity(n) }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether `key` is set.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key`, replacing an earlier value of the same key in place.
    pub fn insert(&mut self, key: impl Into<Cow<'a, str>>, value: Value<'a>) {
        let key = key.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// Appends `key` without looking for an earlier one: the caller knows it is new.
    #[doc(hidden)]
    pub fn push_new(&mut self, key: Cow<'a, str>, value: Value<'a>) {
        self.entries.push((key, value));
    }

    /// Takes `entries` (unique keys) as the attributes, dropping the current ones.
    pub(crate) fn replace_entries(&mut self, entries: Vec<(Cow<'a, str>, Value<'a>)>) {
        self.entries = entries;
    }

    /// Room for `n` more attributes.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
    }

    /// Whether one of the first `n` attributes is `key`.
    pub(crate) fn first_n_contain(&self, n: usize, key: &str) -> bool {
        self.entries[..n.min(self.entries.len())].iter().any(|(k, _)| k == key)
    }

    /// The attributes in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value<'a>)> {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }

    /// How many attributes there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Detaches the attributes from the payload they borrow from.
    pub fn into_owned(self) -> Attributes<'static> {
        Attributes {
            entries: self
                .entries
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                .collect(),
        }
    }
}

impl<'a> IntoIterator for Attributes<'a> {
    type Item = (Cow<'a, str>, Value<'a>);
    type IntoIter = std::vec::IntoIter<(Cow<'a, str>, Value<'a>)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl Serialize for Attributes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Record<'_> {
    /// Detaches the record from the payload it borrows from.
    pub fn into_owned(self) -> Record<'static> {
        match self {
            Record::Event(e) => Record::Event(e.into_owned()),
            Record::User(p) => Record::User(p.into_owned()),
        }
    }

    /// The record's `customer_id`, if any.
    pub fn customer_id(&self) -> Option<&str> {
        match self {
            Record::Event(e) => e.customer_id.as_deref(),
            Record::User(p) => Some(&p.customer_id),
        }
    }

    /// The attributes the record sets on the user's profile.
    pub fn user_attributes(&self) -> &Attributes<'_> {
        match self {
            Record::Event(e) => &e.user_attributes,
            Record::User(p) => &p.user_attributes,
        }
    }
}

impl Event<'_> {
    /// Detaches the event from the payload it borrows from.
    pub fn into_owned(self) -> Event<'static> {
        Event {
            customer_id: self.customer_id.map(|s| Cow::Owned(s.into_owned())),
            anon_id: self.anon_id.map(|s| Cow::Owned(s.into_owned())),
            event_name: Cow::Owned(self.event_name.into_owned()),
            user_time: self.user_time,
            platform: self.platform,
            app_version: Cow::Owned(self.app_version.into_owned()),
            attr: self.attr.into_owned(),
            user_attributes: self.user_attributes.into_owned(),
        }
    }
}

impl Profile<'_> {
    /// Detaches the profile update from the payload it borrows from.
    pub fn into_owned(self) -> Profile<'static> {
        Profile {
            customer_id: Cow::Owned(self.customer_id.into_owned()),
            user_time: self.user_time,
            update_existing_only: self.update_existing_only,
            user_attributes: self.user_attributes.into_owned(),
        }
    }
}

impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Record::Event(e) => e.serialize(serializer),
            Record::User(p) => p.serialize(serializer),
        }
    }
}

impl Serialize for Event<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", "event")?;
        if let Some(id) = &self.customer_id {
            map.serialize_entry("customer_id", id)?;
        }
        if let Some(id) = &self.anon_id {
            map.serialize_entry("anon_id", id)?;
        }
        map.serialize_entry("event_name", &self.event_name)?;
        map.serialize_entry("user_time", &self.user_time)?;
        map.serialize_entry("platform", self.platform.as_str())?;
        map.serialize_entry("app_version", &self.app_version)?;
        map.serialize_entry("attr", &self.attr)?;
        map.serialize_entry("user_attributes", &self.user_attributes)?;
        map.end()
    }
}

impl Serialize for Profile<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", "user")?;
        map.serialize_entry("customer_id", &self.customer_id)?;
        if let Some(t) = self.user_time {
            map.serialize_entry("user_time", &t)?;
        }
        if let Some(u) = self.update_existing_only {
            map.serialize_entry("update_existing_only", &u)?;
        }
        map.serialize_entry("user_attributes", &self.user_attributes)?;
        map.end()
    }
}
