//! The `citekeep` binary: parses the command line and runs one command.

mod cli;

use std::io;

use anyhow::{Context, Result, bail};
use clap::Parser;

use citekeep::exit_codes::ExitCode;
use citekeep::link::Site;
use citekeep::output::{FileTally, ScanWriter, Tally, render};
use citekeep::scan::{FileScan, ScanOptions, scan_files};
use citekeep::source::walk::{self, Filter};
use citekeep::{Error, config};
use cli::{Cli, Command, ScanArgs};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code.into(),
        Err(err) if is_broken_pipe(&err) => ExitCode::Ok.into(),
        Err(err) => {
            eprintln!("citekeep: error: {err:#}");
            ExitCode::Error.into()
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let loaded = config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Scan(args) => scan(&loaded, args, cli.quiet),
    }
}

fn scan(loaded: &config::Loaded, args: ScanArgs, quiet: bool) -> Result<ExitCode> {
    let site_cfg = &loaded.config.site;
    let inputs = if args.inputs.is_empty() {
        loaded.sources()
    } else {
        args.inputs
    };
    if inputs.is_empty() {
        bail!("nothing to scan: give files or folders, or set `[site] sources` in config.toml");
    }
    let base_url = args.base_url.as_deref().or(site_cfg.base_url.as_deref());
    let options = ScanOptions {
        site: Site::new(base_url, &site_cfg.aliases)?,
        keep_internal: args.internal,
    };
    let filter = Filter::new(&site_cfg.include, &site_cfg.exclude)?;
    let (files, walk_errors) = walk::collect(&inputs, &filter);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));

    let mut tally = Tally::default();
    for e in walk_errors {
        report_error(&mut tally, &e);
    }
    let stdout = io::stdout().lock();
    let mut writer = ScanWriter::new(io::BufWriter::with_capacity(1 << 16, stdout), args.format)?;
    let mut write_error = None;
    let format = args.format;
    let work = |result: Result<FileScan, Error>| {
        result.map(|scan| (render(&scan, format), FileTally::of(&scan)))
    };
    scan_files(&files, &options, threads, work, |result| match result {
        Ok((rendered, file_tally)) => {
            if !quiet {
                for w in file_tally.warnings() {
                    eprintln!("citekeep: warning: {w}");
                }
            }
            tally.add(file_tally);
            if write_error.is_none() {
                write_error = writer.file(&rendered).err();
            }
        }
        Err(e) => report_error(&mut tally, &e),
    });
    if let Some(e) = write_error {
        return Err(e).context("writing the scan");
    }
    let summary = tally.finish();
    writer.finish(&summary).context("writing the scan")?;
    Ok(if summary.errors.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::Error
    })
}

fn report_error(tally: &mut Tally, e: &Error) {
    eprintln!("citekeep: error: {e}");
    tally.error(e.to_string());
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
