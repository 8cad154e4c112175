//! `Builder`: compiles mapper files from a build script into `$OUT_DIR`.
//!
//! ```no_run
//! // build.rs
//! # fn main() -> Result<(), hookmap_compiler::BuildError> {
//! hookmap_compiler::Builder::new()
//!     .mappers_in("mappers")
//!     .mapper("partners/lead_form.json")
//!     .sample("partners/samples/lead_form.json")
//!     .compile()?;
//! # Ok(())
//! # }
//! ```
//!
//! Then, in the crate: `hookmap::include_mapper!("lead_form");` for one mapper, or
//! `hookmap::include_mappers!();` for all of them and the list `MAPPERS`.

use std::fmt;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::quote;

use crate::{Diagnostics, Options, Source};

/// Compiles mapper files into Rust files in `OUT_DIR`.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    mappers: Vec<MapperFile>,
    directories: Vec<PathBuf>,
    runtime: Option<String>,
    out_dir: Option<PathBuf>,
    manifest_dir: Option<PathBuf>,
    rerun_if_changed: Option<bool>,
    /// A misuse found while configuring, reported by `generate`.
    pending_error: Option<String>,
}

/// The stem of the index file that includes every generated mapper.
const INDEX_STEM: &str = "all_mappers";

/// A mapper file to compile.
#[derive(Clone, Debug, Default)]
struct MapperFile {
    /// Relative to the manifest directory.
    path: PathBuf,
    /// The name to generate it under (`None`: the file stem).
    name: Option<String>,
    /// Sample payloads it must read.
    samples: Vec<PathBuf>,
}

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedMapper {
    /// The file name in `OUT_DIR`, such as `lead_form.rs`.
    pub file_name: String,
    /// The generated type.
    pub type_name: String,
    /// The mapper's config name.
    pub config_name: String,
    /// The formatted Rust source.
    pub code: String,
}

/// Why the build failed: the diagnostics of every mapper with errors, or an I/O problem.
#[derive(Debug)]
pub enum BuildError {
    /// Mapper files with errors.
    Mappers(Vec<Diagnostics>),
    /// A file or directory could not be read or written.
    Io(String),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Mappers(list) => {
                for (i, d) in list.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{d}")?;
                }
                Ok(())
            }
            BuildError::Io(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    /// A builder with no mappers; paths resolve against `CARGO_MANIFEST_DIR`.
    pub fn new() -> Self {
        Builder::default()
    }

    /// Adds one mapper file (relative to the crate's manifest directory).
    pub fn mapper(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.mappers.push(MapperFile { path: path.into(), ..MapperFile::default() });
        self
    }

    /// Adds a sample payload of the mapper added last (by [`Builder::mapper`] or
    /// [`Builder::mapper_as`]): the build fails when the mapper cannot read it (a path that
    /// matches nothing in any sample, a value of the wrong type, a failed validation).
    pub fn sample(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        if let Some(last) = self.mappers.last_mut() {
            last.samples.push(path.into());
        } else {
            self.pending_error = Some("Builder::sample must follow the mapper it belongs to".to_owned());
        }
        self
    }

    /// Adds one mapper file under another name than its stem: `name` gives the output file
    /// (`name.rs`), the type (`name` in CamelCase) and the default config name.
    pub fn mapper_as(&mut self, path: impl Into<PathBuf>, name: impl Into<String>) -> &mut Self {
        self.mappers.push(MapperFile { path: path.into(), name: Some(name.into()), samples: Vec::new() });
        self
    }

    /// Adds every `*.json` file of a directory (not recursive), in name order.
    pub fn mappers_in(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.directories.push(dir.into());
        self
    }

    /// The runtime crate's path in generated code (default `::hookmap`).
    pub fn runtime_path(&mut self, path: impl Into<String>) -> &mut Self {
        self.runtime = Some(path.into());
        self
    }

    /// Where to write (default `OUT_DIR`).
    pub fn out_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// What mapper paths are relative to (default `CARGO_MANIFEST_DIR`).
    pub fn manifest_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.manifest_dir = Some(dir.into());
        self
    }

    /// Whether to print `cargo:rerun-if-changed` for each file read (default: when run by
    /// Cargo, that is when `OUT_DIR` is set and no `out_dir` was given).
    pub fn emit_rerun_if_changed(&mut self, emit: bool) -> &mut Self {
        self.rerun_if_changed = Some(emit);
        self
    }

    /// Compiles every mapper in memory, reporting the errors of all of them.
    pub fn generate(&self) -> Result<Vec<GeneratedMapper>, BuildError> {
        let base = match &self.manifest_dir {
            Some(dir) => dir.clone(),
            None => env_path("CARGO_MANIFEST_DIR")?,
        };
        let runtime: TokenStream = match &self.runtime {
            Some(path) => path.parse().map_err(|e| BuildError::Io(format!("runtime path `{path}`: {e}")))?,
            None => quote!(::hookmap),
        };
        if let Some(message) = &self.pending_error {
            return Err(BuildError::Io(message.clone()));
        }
        if let Some(file) = self.files(&base)?.iter().find(|f| {
            f.name.clone().unwrap_or_else(|| crate::file_stem(&f.path.to_string_lossy())) == INDEX_STEM
        }) {
            return Err(BuildError::Io(format!(
                "`{}` would be generated as `{INDEX_STEM}.rs`, the name of the Builder's index file; rename it",
                file.path.display()
            )));
        }
        let mut files = Vec::new();
        let mut failed = Vec::new();
        for MapperFile { path: relative, name: as_name, samples: sample_paths } in self.files(&base)? {
            let mut samples = Vec::new();
            for sample in &sample_paths {
                let name = sample.to_string_lossy();
                samples.push(Source::read(&base, &name).map_err(|d| BuildError::Io(d.message))?);
            }
            let name = relative.to_string_lossy().into_owned();
            let source = Source::read(&base, &name).map_err(|d| BuildError::Io(d.message))?;
            let stem = as_name.unwrap_or_else(|| crate::file_stem(&name));
            let options = Options {
                runtime: runtime.clone(),
                type_name: Some(crate::generate::camel_case(&stem)),
                config_name: Some(stem.clone()),
                samples,
            };
            match crate::compile(&source, &options) {
                Ok(output) => {
                    let code = crate::try_format(&output.tokens).map_err(|e| {
                        BuildError::Io(format!(
                            "internal error: the code generated for {name} does not parse ({e}); please report this"
                        ))
                    })?;
                    let header = format!("// @generated by hookmap-compiler from {name}. Do not edit.\n");
                    files.push(GeneratedMapper {
                        file_name: format!("{stem}.rs"),
                        type_name: output.type_name,
                        config_name: output.config_name,
                        code: header + &code,
                    });
                }
                Err(diagnostics) => failed.push(diagnostics),
            }
        }
        if !failed.is_empty() {
            return Err(BuildError::Mappers(failed));
        }
        for (i, a) in files.iter().enumerate() {
            if let Some(b) =
                files[..i].iter().find(|b| b.type_name == a.type_name || b.config_name == a.config_name)
            {
                return Err(BuildError::Io(format!(
                    "two mappers generate `{}` / config `{}` ({} and {}); rename one file or set its config_name",
                    a.type_name, a.config_name, b.file_name, a.file_name
                )));
            }
        }
        Ok(files)
    }

    /// Compiles every mapper and writes `<stem>.rs` for each, plus `all_mappers.rs`, which
    /// includes them all and lists them in `MAPPERS`.
    pub fn compile(&self) -> Result<Vec<GeneratedMapper>, BuildError> {
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => env_path("OUT_DIR")?,
        };
        let rerun = self.rerun_if_changed.unwrap_or(self.out_dir.is_none());
        if rerun {
            let base = match &self.manifest_dir {
                Some(dir) => dir.clone(),
                None => env_path("CARGO_MANIFEST_DIR")?,
            };
            for dir in &self.directories {
                println!("cargo:rerun-if-changed={}", base.join(dir).display());
            }
            for file in self.files(&base)? {
                for path in std::iter::once(&file.path).chain(&file.samples) {
                    println!("cargo:rerun-if-changed={}", base.join(path).display());
                }
            }
        }
        let files = self.generate()?;
        for file in &files {
            write_if_changed(&out_dir.join(&file.file_name), &file.code)?;
        }
        let runtime = self.runtime.clone().unwrap_or_else(|| "::hookmap".to_owned());
        let mut index = String::from("// @generated by hookmap-compiler. Do not edit.\n");
        for file in &files {
            // Relative to this file, so the set works wherever `out_dir` puts it.
            index.push_str(&format!("::core::include!({:?});\n", file.file_name));
        }
        index.push_str(&format!("/// Every mapper compiled by the build script, in file name order.\npub static MAPPERS: &[&dyn {runtime}::Mapper] = &["));
        for file in &files {
            index.push_str(&format!("&{}, ", file.type_name));
        }
        index.push_str("];\n");
        write_if_changed(&out_dir.join(format!("{INDEX_STEM}.rs")), &index)?;
        Ok(files)
    }

    /// The mapper files, relative to `base`, in the order given (directories sorted by name),
    /// with the name to generate them under and their samples.
    fn files(&self, base: &Path) -> Result<Vec<MapperFile>, BuildError> {
        let mut files = self.mappers.clone();
        for dir in &self.directories {
            let entries = std::fs::read_dir(base.join(dir))
                .map_err(|e| BuildError::Io(format!("cannot list `{}`: {e}", base.join(dir).display())))?;
            let mut found: Vec<MapperFile> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name())
                .filter(|n| Path::new(n).extension().is_some_and(|x| x == "json"))
                .map(|n| MapperFile { path: dir.join(n), ..MapperFile::default() })
                .collect();
            found.sort_by(|a, b| a.path.cmp(&b.path));
            files.extend(found);
        }
        Ok(files)
    }
}

#[allow(clippy::disallowed_methods)]
fn env_path(name: &str) -> Result<PathBuf, BuildError> {
    std::env::var_os(name).map(PathBuf::from).ok_or_else(|| {
        BuildError::Io(format!("{name} is not set; run from a build script or set the directory"))
    })
}

/// Writes only when the content differs, so unchanged mappers don't trigger rebuilds.
fn write_if_changed(path: &Path, content: &str) -> Result<(), BuildError> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    std::fs::write(path, content)
        .map_err(|e| BuildError::Io(format!("cannot write `{}`: {e}", path.display())))
}
