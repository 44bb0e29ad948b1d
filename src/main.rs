//! The `citekeep` binary: parses the command line, runs one command of the library's
//! [`citekeep::pipeline`], prints what it gives and says, and exits with its code.

mod cli;
mod console;
mod memory;

use std::io::{self, IsTerminal, Write};

use anyhow::{Context as _, Result, bail};
use clap::Parser;

use citekeep::exit_codes::ExitCode;
use citekeep::pipeline::{self, Context, Level, Listener, ScanRequest};
use citekeep::report::escape::terminal;
use citekeep::{config, fix, lock, report};
use cli::{Cli, Command};
use console::Console;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let fetches = matches!(
        cli.command,
        Command::Check(_) | Command::Run(_) | Command::Archive(_) | Command::Serve(_)
    );
    memory::tune(fetches);
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
    // What needs no configuration: set-up, completions, the manual.
    match &cli.command {
        Command::Init(args) => return init_cmd(args, cli.quiet),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "citekeep", &mut io::stdout());
            return Ok(ExitCode::Ok);
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command).render(&mut io::stdout())?;
            return Ok(ExitCode::Ok);
        }
        _ => {}
    }
    let mut loaded = config::load(cli.config.as_deref())?;
    let archive = cli
        .archive
        .clone()
        .unwrap_or_else(|| loaded.resolve(&loaded.config.archive.dir));
    // Commands that write the archive hold its lock while they run.
    let _lock = match &cli.command {
        Command::Check(_) => Some(lock::acquire(&archive, "check")?),
        Command::Run(_) => Some(lock::acquire(&archive, "run")?),
        Command::Archive(_) => Some(lock::acquire(&archive, "archive")?),
        Command::Export(_) => Some(lock::acquire(&archive, "export")?),
        _ => None,
    };
    // `--timeout` wins over `[check] timeout`.
    if let Command::Check(cli::CheckArgs {
        timeout: Some(t), ..
    })
    | Command::Run(cli::RunArgs {
        timeout: Some(t), ..
    }) = &cli.command
    {
        loaded.config.check.timeout = *t;
    }
    let ctx = Context {
        loaded: &loaded,
        archive: &archive,
    };
    let mut console = Console::new(
        cli.quiet,
        matches!(cli.command, Command::Check(_) | Command::Run(_)),
    );
    let ui = &mut console;
    Ok(match cli.command {
        Command::Scan(args) => {
            let request = ScanRequest {
                inputs: args.inputs,
                format: args.format.into(),
                internal: args.internal,
                base_url: args.base_url,
                threads: args.threads,
            };
            pipeline::scan(&loaded, request, io::stdout().lock(), ui)?
        }
        Command::Check(args) => {
            let (run, code) = pipeline::check(ctx, args.inputs, args.base_url.as_deref(), ui)?;
            drop(console);
            let mut out = io::BufWriter::new(io::stdout().lock());
            report::write_check(&mut out, &run, args.format.into())?;
            out.flush()?;
            code
        }
        Command::Run(args) => {
            let night = pipeline::nightly(ctx, args.all, ui)?;
            let mut line = report::summary_line(&night.run);
            if let Some(snap) = &night.snapshots {
                line.push_str(&format!("; {}", report::snapshots_line(snap)));
            }
            drop(console);
            println!("citekeep run: {line}");
            // Which links died, so a cron mail is useful on its own (after the summary).
            let _ = io::stdout().flush();
            for dead in report::newly_dead_lines(&night.newly_dead) {
                eprintln!("citekeep: {}", terminal(&dead));
            }
            night.code
        }
        Command::Archive(args) => {
            let snap = pipeline::snapshot(ctx, args.inputs, ui)?;
            println!("citekeep archive: {}", report::snapshots_line(&snap));
            if snap.failed.is_empty() {
                ExitCode::Ok
            } else {
                ExitCode::Error
            }
        }
        Command::Export(args) => {
            let done = pipeline::export(&archive, &args.wacz)?;
            println!(
                "citekeep export: {} ({} WARC files, {} pages, {} bytes)",
                args.wacz.display(),
                done.warcs,
                done.pages,
                done.bytes
            );
            ExitCode::Ok
        }
        Command::Report(args) => {
            let report = pipeline::report(ctx, args.since)?;
            let format = match (args.format, &args.output) {
                (Some(format), _) => format.into(),
                (None, None) => report::Format::Text,
                (None, Some(path)) => report::Format::from_path(path).with_context(|| {
                    format!(
                        "{}: a report file must end in .txt, .json, .md, .html or .xml (or give --format)",
                        path.display()
                    )
                })?,
            };
            match &args.output {
                Some(path) => pipeline::write_atomically(path, |out| {
                    report::write(out, &report, format, false)
                })?,
                None => {
                    let color =
                        io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                    let mut out = io::BufWriter::new(io::stdout().lock());
                    report::write(&mut out, &report, format, color)?;
                    out.flush()?;
                }
            }
            ExitCode::Ok
        }
        Command::Fix(args) => fix_cmd(ctx, args, ui)?,
        Command::Archives(cli::ArchivesCommand::Lookup { urls }) => lookup_cmd(ctx, &urls, ui)?,
        Command::Serve(args) => {
            if !archive.join(citekeep::store::FILE_NAME).is_file() {
                bail!(
                    "{}: no archive here yet (run `citekeep run` first, or pass --archive DIR)",
                    archive.display()
                );
            }
            citekeep::serve::serve(citekeep::serve::Options {
                archive: archive.clone(),
                listen: match args.listen {
                    Some(listen) => listen,
                    None => loaded.config.serve.listen()?,
                },
                drift: loaded.config.archive.drift,
                public_url: loaded.config.serve.public_url()?,
            })?;
            ExitCode::Ok
        }
        // Done above, before the configuration was read.
        Command::Init(_) | Command::Completions { .. } | Command::Man => ExitCode::Ok,
    })
}

/// `fix`: the planned edits as a unified diff, or (`--write`) made in place.
fn lookup_cmd(ctx: Context, urls: &[String], ui: &mut Console) -> Result<ExitCode> {
    let (mut missing, mut failed) = (false, false);
    let mut out = std::io::stdout().lock();
    for looked in pipeline::lookup(ctx, urls)? {
        let url = terminal(&looked.url);
        let found = looked.found;
        for (_, why) in &found.errors {
            // `why` names the archive.
            ui.say(
                Level::Error,
                &format!("{url}: an archive could not say: {}", terminal(why)),
            );
            failed = true;
        }
        match &found.copy {
            Some(v) => writeln!(
                out,
                "{url}\n  copy: {} ({}; captured {})",
                terminal(&v.capture.urim),
                v.verification,
                v.capture.timestamp
            )?,
            None => {
                missing = true;
                writeln!(
                    out,
                    "{url}\n  no public copy shows the page ({} capture{} found)",
                    found.captures.len(),
                    if found.captures.len() == 1 { "" } else { "s" }
                )?
            }
        }
        for r in &found.rejected {
            writeln!(
                out,
                "  turned down: {} ({})",
                terminal(&r.capture.urim),
                terminal(&r.why)
            )?;
        }
    }
    Ok(if failed {
        ExitCode::Error
    } else if missing {
        ExitCode::Rot
    } else {
        ExitCode::Ok
    })
}

fn fix_cmd(ctx: Context, args: cli::FixArgs, ui: &mut Console) -> Result<ExitCode> {
    let plan = pipeline::fix_plan(ctx, args.files, (args.moved, args.drifted))?;
    for note in &plan.skipped {
        ui.say(Level::Note, note);
    }
    for e in &plan.errors {
        ui.say(Level::Error, e);
    }
    let mut failed = !plan.errors.is_empty();
    let edits: usize = plan.files.iter().map(|f| f.notes.len()).sum();
    let s = |n: usize| if n == 1 { "" } else { "s" };
    if plan.files.is_empty() && !failed {
        println!("citekeep fix: nothing to fix");
    } else if args.write {
        let (written, write_failed) = pipeline::fix_write(ctx, &plan, ui);
        failed |= write_failed;
        println!(
            "citekeep fix: {written} file{} written ({edits} citation{} fixed; recorded in the \
             history)",
            s(written),
            s(edits)
        );
    } else {
        let mut out = io::BufWriter::new(io::stdout().lock());
        for file in &plan.files {
            write!(out, "{}", fix::diff(file))?;
        }
        out.flush()?;
        let files = plan.files.len();
        ui.say(
            Level::Note,
            &format!(
                "fix: {edits} citation{} in {files} file{} to fix; `citekeep fix --write` edits them",
                s(edits),
                s(files)
            ),
        );
    }
    Ok(if failed {
        ExitCode::Error
    } else {
        ExitCode::Ok
    })
}

/// `init`: writes config.toml for the site here, asking for its address on a terminal when
/// the site's own configuration does not name it.
fn init_cmd(args: &cli::InitArgs, quiet: bool) -> Result<ExitCode> {
    let ask = || {
        if quiet || !io::stdin().is_terminal() {
            return None;
        }
        eprint!("citekeep: the site's public address (e.g. https://example.org; empty: none): ");
        let mut line = String::new();
        io::stdin().read_line(&mut line).ok()?;
        Some(line.trim().to_string()).filter(|l| !l.is_empty())
    };
    let done = citekeep::init::init(
        std::path::Path::new("."),
        args.base_url.clone(),
        ask,
        args.force,
    )?;
    println!(
        "citekeep init: wrote {} (sources: {}; base_url: {})",
        done.config.display(),
        done.sources.join(", "),
        match &done.base_url {
            Some((url, from)) => format!("{url}, from {from}"),
            None => "none, set it in [site] base_url".to_string(),
        }
    );
    if let Some(ignore) = &done.gitignore {
        println!(
            "citekeep init: archive/ is ignored by git ({})",
            ignore.display()
        );
    }
    println!("citekeep init: next, `citekeep run` (then `citekeep report`, `citekeep serve`)");
    Ok(ExitCode::Ok)
}

/// A closed pipe (`citekeep scan | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        let io = match e.downcast_ref::<citekeep::Error>() {
            Some(citekeep::Error::Io { error, .. }) => Some(error),
            _ => e.downcast_ref::<io::Error>(),
        };
        io.is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
