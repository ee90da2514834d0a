//! Every failure of the command line, and the one place that turns it into a message and an
//! exit code: 0 done, 1 refused by the rules (wrong state, not found, not allowed), 2 bad
//! usage or input, 3 internal (database unreachable, I/O failure).

use std::process::ExitCode;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// The core refused or failed.
    Core(gasstock_core::Error),
    /// Bad flags or input the core never saw.
    Usage(String),
    /// Reading or writing outside the database failed.
    Io(String),
    /// Stdout was closed (`gasstock ... | head`): not an error worth a message.
    ClosedOutput,
}

impl From<gasstock_core::Error> for CliError {
    fn from(err: gasstock_core::Error) -> Self {
        CliError::Core(err)
    }
}

/// Refused by the rules, not found.
pub const EXIT_REFUSED: u8 = 1;
/// Bad usage or input.
pub const EXIT_USAGE: u8 = 2;
/// Internal failure.
pub const EXIT_INTERNAL: u8 = 3;

impl CliError {
    pub fn exit_code(&self) -> u8 {
        use gasstock_core::Error;
        match self {
            CliError::Core(Error::NotFound { .. } | Error::Forbidden(_) | Error::Unauthenticated(_)) => EXIT_REFUSED,
            CliError::Core(Error::Conflict { .. }) => EXIT_REFUSED,
            CliError::Core(Error::Invalid { .. }) | CliError::Usage(_) => EXIT_USAGE,
            CliError::Core(Error::Internal(_)) | CliError::Io(_) => EXIT_INTERNAL,
            CliError::ClosedOutput => 0,
        }
    }

    fn message(&self) -> Option<String> {
        use gasstock_core::Error;
        match self {
            // "file: 3 bad row(s)": the field adds nothing for whole-file problems.
            CliError::Core(Error::Invalid { field, message }) if matches!(&**field, "file" | "header") => {
                Some(message.clone())
            }
            CliError::Core(err) => Some(err.to_string()),
            CliError::Usage(message) | CliError::Io(message) => Some(message.clone()),
            CliError::ClosedOutput => None,
        }
    }

    /// Prints the one-line message on stderr and gives the exit code.
    pub fn report(self) -> ExitCode {
        if let Some(message) = self.message() {
            let line = message.replace('\n', " ");
            eprintln!("error: {line}");
        }
        ExitCode::from(self.exit_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gasstock_core::Error;

    #[test]
    fn exit_codes() {
        assert_eq!(CliError::from(Error::not_found("order", 1)).exit_code(), 1);
        assert_eq!(CliError::from(Error::conflict("invalid_state", "x")).exit_code(), 1);
        assert_eq!(CliError::from(Error::forbidden("x")).exit_code(), 1);
        assert_eq!(CliError::from(Error::invalid("weight", "x")).exit_code(), 2);
        assert_eq!(CliError::Usage("x".into()).exit_code(), 2);
        assert_eq!(CliError::from(Error::internal("db down")).exit_code(), 3);
    }
}
