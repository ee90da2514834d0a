//! `gasstock completions bash|zsh|fish`.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::error::CliError;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_parser = ["bash", "zsh", "fish"])]
    pub shell: String,
}

pub fn run(args: &CompletionsArgs) -> Result<(), CliError> {
    let shell = match args.shell.as_str() {
        "bash" => Shell::Bash,
        "zsh" => Shell::Zsh,
        _ => Shell::Fish,
    };
    let mut command = crate::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "gasstock", &mut script);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&script).and_then(|()| stdout.flush()).map_err(|err| match err.kind() {
        std::io::ErrorKind::BrokenPipe => CliError::ClosedOutput,
        _ => CliError::Io(format!("cannot write the output: {err}")),
    })
}
