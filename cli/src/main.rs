//! `hookmap`: the daily tools of mapper authors. Checks mapper files the way the build does (for
//! CI and editors), runs them on payloads, keeps golden tests, compares two versions, proposes a
//! mapper from sample payloads, and prints the code a mapper compiles to. Everything that maps a
//! payload here runs the compiler's evaluator, which the test suite holds to the generated code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod diff;
mod golden;
mod run;
mod sarif;
mod scaffold;

use clap::{Parser, Subcommand, ValueEnum};
use hookmap_compiler::{Options, Source};

#[derive(Parser)]
#[command(name = "hookmap", version, about = "Write, run, test and check webhook mappers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Colour the diagnostics: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

impl Color {
    /// Whether diagnostics on standard error get colours.
    fn on_stderr(self) -> bool {
        use std::io::IsTerminal as _;
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Checks mappers; exits with 1 when any has an error.
    Check {
        /// Mapper files.
        #[arg(required = true)]
        mappers: Vec<PathBuf>,
        /// A sample payload every mapper is checked against (repeatable).
        #[arg(long = "sample", value_name = "FILE")]
        samples: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Prints the Rust code a mapper compiles to, formatted.
    Expand {
        /// The mapper file.
        mapper: PathBuf,
    },
    /// Maps payloads and prints each one's records (or its e_9004 error) as JSON; exits with 1
    /// when a payload is refused.
    Run {
        /// The mapper file.
        mapper: PathBuf,
        /// Payload files; `-` reads standard input.
        #[arg(required = true)]
        payloads: Vec<PathBuf>,
        /// Indented JSON, for people.
        #[arg(long)]
        pretty: bool,
    },
    /// Runs the golden tests: each `tests/NAME/*.json` payload of each `mappers/NAME.json` must
    /// produce its `*.records.json`.
    Test {
        /// The project folder, holding `mappers/` and `tests/`.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Writes the current outputs where they differ or are missing, for review.
        #[arg(long)]
        bless: bool,
    },
    /// Shows what changes between two versions of a mapper; exits with 1 when anything does.
    Diff {
        /// The mapper as it was.
        old: PathBuf,
        /// The mapper as it is.
        new: PathBuf,
        /// A payload both versions map, to compare their records (repeatable).
        #[arg(long = "sample", value_name = "FILE")]
        samples: Vec<PathBuf>,
    },
    /// Proposes a mapper for sample payloads, explaining each choice on standard error.
    Scaffold {
        /// Sample payloads of one partner webhook.
        #[arg(required = true)]
        payloads: Vec<PathBuf>,
        /// What the records are: events, or user profiles.
        #[arg(long = "type", value_enum, default_value_t = Kind::Events)]
        kind: Kind,
        /// `partner_name` (default: the first payload's file name).
        #[arg(long)]
        partner: Option<String>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
    Events,
    Users,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// rustc-style text on standard error.
    Text,
    /// A JSON array of diagnostics on standard output.
    Json,
    /// A SARIF 2.1.0 log on standard output, for code-scanning tools.
    Sarif,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let color = cli.color.on_stderr();
    match cli.command {
        Command::Check { mappers, samples, format } => check(&mappers, &samples, format, color),
        Command::Expand { mapper } => expand(&mapper, color),
        Command::Run { mapper, payloads, pretty } => match plan_of(&mapper, color) {
            Ok(plan) => run::run(&plan, &payloads, pretty),
            Err(code) => code,
        },
        Command::Test { dir, bless } => golden::test(&dir, bless, color),
        Command::Diff { old, new, samples } => match (plan_of(&old, color), plan_of(&new, color)) {
            (Ok(old), Ok(new)) => diff::diff(&old, &new, &samples),
            (Err(code), _) | (_, Err(code)) => code,
        },
        Command::Scaffold { payloads, kind, partner } => {
            scaffold::scaffold(&payloads, kind == Kind::Users, partner.as_deref())
        }
    }
}

/// The plan of a mapper file; its diagnostics go to standard error, and the `Err` is exit code 2
/// (the command could not run).
fn plan_of(path: &Path, color: bool) -> Result<hookmap_compiler::ir::Plan, ExitCode> {
    let source = read(path).map_err(|message| {
        eprintln!("{message}");
        ExitCode::from(2)
    })?;
    hookmap_compiler::plan(&source, &Options::default()).map_err(|diagnostics| {
        eprintln!("{}", render(&diagnostics, color));
        ExitCode::from(2)
    })
}

fn read(path: &Path) -> Result<Source, String> {
    let name = path.to_string_lossy().into_owned();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Source { name, text, path: Some(path.to_path_buf()) }),
        Err(e) => Err(format!("error: cannot read {name}: {e}")),
    }
}

fn options(samples: &[Source]) -> Options {
    Options { samples: samples.to_vec(), ..Options::default() }
}

fn check(mappers: &[PathBuf], sample_paths: &[PathBuf], format: Format, color: bool) -> ExitCode {
    let mut samples = Vec::new();
    for path in sample_paths {
        match read(path) {
            Ok(sample) => samples.push(sample),
            Err(message) => {
                eprintln!("{message}");
                return ExitCode::from(2);
            }
        }
    }
    let mut failed = false;
    let mut json = Vec::new();
    let mut sarif = Vec::new();
    for path in mappers {
        let source = match read(path) {
            Ok(source) => source,
            Err(message) => {
                eprintln!("{message}");
                failed = true;
                continue;
            }
        };
        match hookmap_compiler::compile(&source, &options(&samples)) {
            Ok(_) => {
                if format == Format::Text {
                    eprintln!("ok: {}", source.name);
                }
            }
            Err(diagnostics) => {
                failed = true;
                match format {
                    Format::Text => eprintln!("{}", render(&diagnostics, color)),
                    Format::Json => json.push(diagnostics.to_json()),
                    Format::Sarif => sarif.push(diagnostics),
                }
            }
        }
    }
    if format == Format::Json {
        // Each mapper's diagnostics are a JSON array; together they form one array.
        let items: Vec<&str> = json
            .iter()
            .map(|a| a.trim().trim_start_matches('[').trim_end_matches(']').trim())
            .filter(|s| !s.is_empty())
            .collect();
        let printed = print_out(&format!("[{}]", items.join(",")));
        if printed != ExitCode::SUCCESS {
            return printed;
        }
    }
    if format == Format::Sarif {
        let printed = print_out(&sarif::log(&sarif).to_string());
        if printed != ExitCode::SUCCESS {
            return printed;
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn expand(path: &Path, color: bool) -> ExitCode {
    let source = match read(path) {
        Ok(source) => source,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match hookmap_compiler::compile(&source, &Options::default()) {
        Ok(output) => print_out(&hookmap_compiler::format(&output.tokens)),
        Err(diagnostics) => {
            eprintln!("{}", render(&diagnostics, color));
            ExitCode::FAILURE
        }
    }
}

/// Writes `text` and a newline to stdout. A reader that stopped early (`hookmap expand m.json |
/// head`) closes the pipe: that ends the output quietly, as for any Unix tool, where
/// `println!` would panic.
fn print_out(text: &str) -> ExitCode {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hookmap: cannot write the output: {e}");
            ExitCode::from(2)
        }
    }
}

fn render(diagnostics: &hookmap_compiler::Diagnostics, color: bool) -> String {
    if color { diagnostics.to_colored_string() } else { diagnostics.to_string() }
}
