//! Problems found in workshop files, each naming the file, the line and the field,
//! worded for the organiser who has to fix the YAML.

use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub file: String,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl FileProblem {
    pub fn whole_file(file: &Path, message: impl Into<String>) -> Self {
        FileProblem {
            file: file.display().to_string(),
            line: None,
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found while loading the workshops folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    pub problems: Vec<FileProblem>,
}

impl RegistryError {
    pub fn new(problems: Vec<FileProblem>) -> Self {
        RegistryError { problems }
    }

    pub fn single(problem: FileProblem) -> Self {
        RegistryError {
            problems: vec![problem],
        }
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        writeln!(
            f,
            "{count} problem{} in the workshop files:",
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RegistryError {}
