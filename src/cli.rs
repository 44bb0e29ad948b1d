//! The command line. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use citekeep::{output, report};

/// Finds the citations of a website's sources, checks them, and archives them before they rot.
#[derive(Debug, Parser)]
#[command(name = "citekeep", version, about)]
pub struct Cli {
    /// Configuration file [default: ./config.toml when present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Archive folder holding the history and snapshots [default: `[archive] dir`, archive/]
    #[arg(long, global = true, value_name = "DIR")]
    pub archive: Option<PathBuf>,
    /// Print nothing but errors and the results asked for (no progress bar, no warnings)
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up citekeep for the site in this folder: a commented config.toml (sources found,
    /// the site's address read from its own configuration or asked), archive/ in .gitignore
    Init(InitArgs),
    /// Extract every citation from the sources, without touching the network
    Scan(ScanArgs),
    /// Check every external citation now, record the results, and print them
    Check(CheckArgs),
    /// The nightly job: scan the configured sources, check what is due, snapshot live pages,
    /// record, summarise
    Run(RunArgs),
    /// Snapshot links into the archive: those of INPUT, or every cited link whose last check
    /// found it alive or moved
    Archive(ArchiveArgs),
    /// Export the archive for other tools
    Export(ExportArgs),
    /// Report the latest run from the history: summary, what changed, citations to fix by
    /// file, rot by domain
    Report(ReportArgs),
    /// Point dead citations at their archived copies (prints a diff; --write edits the files)
    Fix(FixArgs),
    /// Browse the archive: sources, link timelines, search, rot, and replay of archived copies
    Serve(ServeArgs),
    /// Public web archives' copies of cited links
    #[command(subcommand)]
    Archives(ArchivesCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), for `man`
    Man,
}

/// `citekeep init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The site's public address (links to it are internal) [default: read from the site's
    /// CNAME, hugo.toml, _config.yml, mkdocs.yml or package.json, else asked]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Write config.toml even when one exists
    #[arg(long)]
    pub force: bool,
}

/// `citekeep archives`.
#[derive(Debug, Subcommand)]
pub enum ArchivesCommand {
    /// Find each URL's public copy that shows the page as cited (Wayback Machine,
    /// archive.today, the UK Government Web Archive, [archives] timemaps; verified by its
    /// original bytes), and the captures turned down; with no URL, every failing, dead or
    /// archive-moved link's, whatever was found before
    Lookup {
        /// The URLs to look up (none: the history's links that need a copy)
        #[arg(value_name = "URL")]
        urls: Vec<String>,
    },
}

/// `citekeep serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (a non-loopback address shares the archive with the
    /// network) [default: [serve] listen, 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<std::net::SocketAddr>,
}

/// `citekeep report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output format [default: from the --output extension (.txt .json .md .html .xml), else
    /// text]
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write the report to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Compare with this run id, or the last run on or before this date (2026-11-26) or
    /// time [default: the previous run]
    #[arg(long, value_name = "RUN|DATE")]
    pub since: Option<report::Since>,
}

/// `citekeep fix`.
#[derive(Debug, Args)]
pub struct FixArgs {
    /// Only these source files [default: every file of the last scan]
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Edit the files in place (otherwise print a unified diff)
    #[arg(long)]
    pub write: bool,
    /// Also point moved citations to where they lead now
    #[arg(long)]
    pub moved: bool,
    /// Also point drifted citations (the address answers, the text as cited is gone) to
    /// the verified public copy most like ours
    #[arg(long)]
    pub drifted: bool,
}

/// `citekeep check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders to check [default: `[site] sources` of the configuration]
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Seconds one request may take [default: `[check] timeout`]
    #[arg(long, value_name = "SECONDS", value_parser = citekeep::config::parse_seconds)]
    pub timeout: Option<f64>,
    /// The site's address; links to its host are internal [default: `[site] base_url`]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
}

/// `citekeep archive`.
#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// Files or folders whose links to snapshot now, without checking them first
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
}

/// `citekeep export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write a WACZ 1.1.1 package (for ReplayWeb.page and other archive tools)
    #[arg(long, value_name = "FILE")]
    pub wacz: PathBuf,
}

/// `citekeep run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Check every link, not only those due
    #[arg(long)]
    pub all: bool,
    /// Seconds one request may take [default: `[check] timeout`]
    #[arg(long, value_name = "SECONDS", value_parser = citekeep::config::parse_seconds)]
    pub timeout: Option<f64>,
}

/// `citekeep scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or folders to scan [default: `[site] sources` of the configuration]
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Also list internal links (to the site itself), marked as such
    #[arg(long)]
    pub internal: bool,
    /// The site's address; links to its host are internal [default: `[site] base_url`]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Worker threads [default: one per core]
    #[arg(short = 'j', long, value_name = "N")]
    pub threads: Option<usize>,
}

/// `report --format`: the rot report's formats as the command line names them.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReportFormat {
    /// For a terminal or an email: summary, changes, by file, by domain.
    Text,
    /// One JSON document (docs/json.md).
    Json,
    /// Markdown fit to paste into a GitHub issue.
    Markdown,
    /// One self-contained HTML page with charts.
    Html,
    /// JUnit XML for CI dashboards: one suite per source file.
    Junit,
}

impl From<ReportFormat> for report::Format {
    fn from(f: ReportFormat) -> report::Format {
        match f {
            ReportFormat::Text => report::Format::Text,
            ReportFormat::Json => report::Format::Json,
            ReportFormat::Markdown => report::Format::Markdown,
            ReportFormat::Html => report::Format::Html,
            ReportFormat::Junit => report::Format::Junit,
        }
    }
}

/// `check --format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CheckFormat {
    /// Grouped by status, with each citation's file:line:column.
    Text,
    /// One JSON document: `links` and `summary`.
    Json,
    /// Markdown tables, fit to paste into an issue.
    Markdown,
}

impl From<CheckFormat> for report::CheckFormat {
    fn from(f: CheckFormat) -> report::CheckFormat {
        match f {
            CheckFormat::Text => report::CheckFormat::Text,
            CheckFormat::Json => report::CheckFormat::Json,
            CheckFormat::Markdown => report::CheckFormat::Markdown,
        }
    }
}

/// `scan --format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ScanFormat {
    /// One line per citation, then counts by domain.
    Text,
    /// One JSON document: `citations` and `summary`.
    Json,
}

impl From<ScanFormat> for output::Format {
    fn from(f: ScanFormat) -> output::Format {
        match f {
            ScanFormat::Text => output::Format::Text,
            ScanFormat::Json => output::Format::Json,
        }
    }
}
