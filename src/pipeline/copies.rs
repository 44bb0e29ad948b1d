//! The public-copies phase of the nightly run, and `archives lookup`: links that need a
//! copy are looked up in the public archives (when each was cited, our own copy to compare
//! with, every archive asked within its limits, each result recorded as it comes), and
//! live pages are submitted to Save Page Now when asked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;

use super::{Context, Level, Listener};
use crate::check::Checker;
use crate::config::Loaded;
use crate::fetch::guard::Guard;
use crate::link::link_key;
use crate::store::Store;
use crate::{Error, clock, public};

/// The public archives `[archives]` names, asked through a checker of their own (the
/// check settings; each archive's lookup API held to its interval).
fn public_archives(loaded: &Loaded) -> Result<public::Archives, Error> {
    let guard = Arc::new(Guard::for_cited(
        std::iter::empty(),
        loaded.config.check.allow_private_sources,
    ));
    let checker = Checker::new(&loaded.config.check, &loaded.dir, guard.clone())?;
    let api = crate::fetch::api::Api::new(&loaded.config.check, &loaded.dir, guard)?;
    Ok(public::Archives::new(
        checker,
        api,
        public::archives(&loaded.config.archives),
    ))
}

/// One URL's public copy as `archives lookup` found it.
pub struct Lookup {
    /// The URL as given (or as the history has it).
    pub url: String,
    /// What the archives said.
    pub found: public::Found,
}

/// `archives lookup [URL...]`: each URL's verified public copy (with none, every failing,
/// dead or archive-moved link's, asked again whatever was found before): the capture
/// nearest to when it was cited from before it started failing, compared with our own
/// copy; recorded in the history for the links it knows.
pub fn lookup(ctx: Context, urls: &[String]) -> Result<Vec<Lookup>, Error> {
    let known = ctx.archive.join(crate::store::FILE_NAME).is_file();
    let mut store = if known {
        Some(Store::open(ctx.archive)?)
    } else {
        None
    };
    let now = clock::now();
    let archives = public_archives(ctx.loaded)?;
    let targets: Vec<crate::store::LookupTarget> = if urls.is_empty() {
        let Some(store) = &store else {
            return Err(Error::Nothing(
                "no history yet: give URLs to look up, or run `citekeep run` first".into(),
            ));
        };
        let is_archive = |h: &str| super::is_memento_host(h, &ctx.loaded.config);
        store.links_to_look_up((now, 0), is_archive, usize::MAX)?
    } else {
        let mut out = Vec::new();
        for url in urls {
            let state = match &store {
                Some(s) => s.link_by_url(&link_key(url))?,
                None => None,
            };
            out.push(crate::store::LookupTarget {
                link_id: state.as_ref().map_or(0, |l| l.id),
                url: url.clone(),
                first_seen: state.as_ref().map_or(now, |l| l.first_seen),
                first_failing: state.as_ref().and_then(|l| l.first_failing),
                cited: None,
            });
        }
        out
    };
    let runtime = crate::fetch::runtime()?;
    let mut out = Vec::new();
    runtime.block_on(look_up(
        &archives,
        store.as_mut(),
        targets,
        (&ctx.loaded.dir, ctx.archive),
        now,
        |target, found| {
            out.push(Lookup {
                url: target.url.clone(),
                found: found.clone(),
            })
        },
    ))?;
    Ok(out)
}

/// Links looked up at once (each archive's own gate keeps it to its rate).
const LOOKUPS_AT_ONCE: usize = 8;

/// One link to look up, with what is read before asking.
struct LookupAsked {
    target: crate::store::LookupTarget,
    cited_at: String,
    failing_since: String,
    /// Our copy as cited: its payload digest (base32) and where its page is.
    ours: Option<(String, PathBuf, u64)>,
}

/// Looks up `targets` in `archives`, several at once, in order; each is recorded in
/// `store` as it finishes (a run cut short keeps what was done; a target without a link id
/// is not recorded) and handed to `each`. `sources` is where relative source paths start;
/// `archive` the archive folder holding our copies.
async fn look_up(
    archives: &public::Archives,
    mut store: Option<&mut Store>,
    targets: Vec<crate::store::LookupTarget>,
    (sources, archive): (&Path, &Path),
    now: i64,
    mut each: impl FnMut(&crate::store::LookupTarget, &public::Found),
) -> Result<public::lookup::Summary, Error> {
    let mut asked = Vec::with_capacity(targets.len());
    for target in targets {
        let git = target.cited.as_ref().and_then(|(file, _, written)| {
            let path = Path::new(file);
            let path = if path.is_absolute() || path.exists() {
                path.to_path_buf()
            } else {
                sources.join(path)
            };
            public::lookup::cited_in_git(&path, written)
        });
        let ours = match store.as_deref() {
            Some(store) if target.link_id > 0 => (
                store.good_snapshot(target.link_id, true)?,
                store.first_page(target.link_id)?,
            ),
            _ => (None, None),
        };
        let ours = match ours {
            (Some(s), Some((file, offset))) => Some((
                s.payload_digest.trim_start_matches("sha1:").to_string(),
                archive.join("warc").join(file),
                offset,
            )),
            _ => None,
        };
        asked.push(LookupAsked {
            cited_at: crate::archive::cdxj::timestamp(git.unwrap_or(target.first_seen)),
            failing_since: crate::archive::cdxj::timestamp(target.first_failing.unwrap_or(now + 1)),
            target,
            ours,
        });
    }
    let mut summary = public::lookup::Summary::default();
    let mut results = futures_util::stream::iter(asked)
        .map(|a| async move {
            let page = a
                .ours
                .as_ref()
                .and_then(|(_, file, offset)| crate::archive::page_at(file, *offset));
            let ours = a
                .ours
                .as_ref()
                .zip(page.as_ref())
                .map(|((digest, _, _), page)| (digest.as_str(), page));
            let found = archives
                .find(&a.target.url, &a.cited_at, &a.failing_since, ours)
                .await;
            (a.target, found)
        })
        .buffered(LOOKUPS_AT_ONCE);
    while let Some((target, found)) = results.next().await {
        public::lookup::tally(&mut summary, &found);
        if let Some(store) = store.as_deref_mut().filter(|_| target.link_id > 0) {
            found.record(store, target.link_id, now)?;
        }
        each(&target, &found);
    }
    Ok(summary)
}

/// What the public-copies phase of a run did.
#[derive(Debug, Default)]
pub struct PublicCopies {
    /// The lookups.
    pub lookups: public::lookup::Summary,
    /// Links due a lookup left for the next run (`[archives] max_lookups`).
    pub waiting: usize,
    /// Pages saved to the Wayback Machine in this run.
    pub saved: usize,
    /// Save requests still in progress or waiting.
    pub save_pending: usize,
}

/// The public-copies phase of `run`: links failing, dead or moved into an archive are
/// looked up (those not looked up within `[archives] lookup_days`), and, with `[archives]
/// save`, live cited pages are submitted to Save Page Now (see [`save_pages`]). An archive
/// that is down, slow or refusing is said once and never fails the run.
pub(super) fn public_copies(ctx: Context, ui: &mut dyn Listener) -> Result<PublicCopies, Error> {
    let cfg = &ctx.loaded.config.archives;
    let mut done = PublicCopies::default();
    let mut store = Store::open(ctx.archive)?;
    let now = clock::now();
    let archives = public_archives(ctx.loaded)?;
    let runtime = crate::fetch::runtime()?;
    let is_archive = |h: &str| super::is_memento_host(h, &ctx.loaded.config);
    let again = i64::from(cfg.lookup_days) * clock::DAY;
    let mut targets = store.links_to_look_up((now, again), is_archive, usize::MAX)?;
    done.waiting = targets.len().saturating_sub(cfg.max_lookups);
    targets.truncate(cfg.max_lookups);
    if !targets.is_empty() {
        let (total, mut looked) = (targets.len(), 0);
        done.lookups = runtime.block_on(look_up(
            &archives,
            Some(&mut store),
            targets,
            (&ctx.loaded.dir, ctx.archive),
            now,
            |_, _| {
                looked += 1;
                ui.progress("looking up", looked, total);
            },
        ))?;
        for (archive, (links, why)) in &done.lookups.errors {
            ui.say(
                Level::Warning,
                &format!(
                    "{archive} could not be asked about {links} link{} ({why}); asked again next run",
                    if *links == 1 { "" } else { "s" }
                ),
            );
        }
        ui.say(
            Level::Note,
            &format!(
                "public copies: {} link{} looked up, {} with a verified copy{}",
                done.lookups.looked_up,
                if done.lookups.looked_up == 1 { "" } else { "s" },
                done.lookups.found,
                if done.waiting > 0 {
                    format!("; {} more next run ([archives] max_lookups)", done.waiting)
                } else {
                    String::new()
                }
            ),
        );
    }
    if cfg.save {
        save_pages(ctx, &archives, &mut store, &runtime, &mut done, ui)?;
    }
    Ok(done)
}

/// Live pages looked at for Save Page Now by one run at most (each costs a lookup).
const SAVE_LOOKUPS: usize = 200;

/// Spends the run's Save Page Now allowance (`[archives] save_max`) on what matters most:
/// live cited pages with no public capture at all, then those whose newest capture is old,
/// newest citations first. Each is looked up first (a capture newer than `[archive]
/// refresh_days` means no submission) and checked alive right then (a dead, soft-404,
/// blocked or error page is never submitted: it would put an error page in the public
/// record); none is submitted twice within `lookup_days`. Jobs left pending by an earlier
/// run are polled; what became of each is recorded.
fn save_pages(
    ctx: Context,
    archives: &public::Archives,
    store: &mut Store,
    runtime: &tokio::runtime::Runtime,
    done: &mut PublicCopies,
    ui: &mut dyn Listener,
) -> Result<(), Error> {
    use crate::store::SaveState;
    use public::save::{Credentials, Outcome, Patience, save_all};
    let cfg = &ctx.loaded.config.archives;
    let now = clock::now();
    let again = i64::from(cfg.lookup_days) * clock::DAY;
    let pending = store.pending_saves()?;
    let mut candidates: Vec<crate::store::SaveCandidate> = store
        .save_candidates(now, again)?
        .into_iter()
        .filter(|c| !super::is_memento_host(&crate::link::host_of(&c.url), &ctx.loaded.config))
        .collect();
    if pending.is_empty() && candidates.is_empty() {
        return Ok(());
    }
    let Some(credentials) = Credentials::from_env() else {
        let waiting = pending.len() + candidates.len().min(cfg.save_max);
        ui.say(
            Level::Warning,
            &format!(
                "[archives] save is on but {} and {} are not set: {} page{} not submitted to \
                 Save Page Now",
                public::save::ENV[0],
                public::save::ENV[1],
                waiting,
                if waiting == 1 { "" } else { "s" }
            ),
        );
        done.save_pending = waiting;
        return Ok(());
    };

    // Looked up: a recent capture means no submission; none at all goes first.
    candidates.truncate(SAVE_LOOKUPS.max(cfg.save_max));
    let refresh = i64::from(ctx.loaded.config.archive.refresh_days) * clock::DAY;
    let recent = crate::archive::cdxj::timestamp(now - refresh);
    let total = candidates.len();
    let mut looked: Vec<(crate::store::SaveCandidate, Result<Option<String>, String>)> =
        Vec::with_capacity(total);
    runtime.block_on(async {
        let mut answers = futures_util::stream::iter(candidates)
            .map(|c| async move {
                let newest = archives.newest_capture(&c.url).await;
                (c, newest)
            })
            .buffered(LOOKUPS_AT_ONCE);
        while let Some(answer) = answers.next().await {
            looked.push(answer);
            ui.progress("looking up", looked.len(), total);
        }
    });
    let mut wanted: Vec<(bool, crate::store::SaveCandidate)> = Vec::new();
    let mut unknown = 0;
    for (c, newest) in looked {
        match newest {
            Ok(Some(ts)) if ts >= recent => {
                let why = format!("captured {ts}");
                let state = SaveState {
                    state: "covered",
                    error: Some(&why),
                    ..SaveState::default()
                };
                store.record_save(c.link_id, &state, now)?;
            }
            Ok(newest) => wanted.push((newest.is_some(), c)),
            // Unknown: asked again next run, never submitted blind.
            Err(_) => unknown += 1,
        }
    }
    wanted.sort_by_key(|(captured, c)| (*captured, std::cmp::Reverse(c.first_seen)));

    // Checked alive right then, in that order, until the allowance is spent.
    let checker = archives.checker();
    let mut ready: Vec<public::save::Request> = Vec::new();
    let mut checks = futures_util::stream::iter(wanted.iter())
        .map(|(_, c)| async move { (c, checker.check(&c.url).await) })
        .buffered(LOOKUPS_AT_ONCE);
    runtime.block_on(async {
        while ready.len() < cfg.save_max {
            let Some((c, check)) = checks.next().await else {
                break;
            };
            if check.status == crate::check::Status::Alive {
                ready.push(public::save::Request {
                    link_id: c.link_id,
                    url: c.url.clone(),
                    job_id: None,
                });
            } else {
                let why = format!("{}: {}", check.status.as_str(), check.detail);
                let state = SaveState {
                    state: "skipped",
                    error: Some(&why),
                    ..SaveState::default()
                };
                store.record_save(c.link_id, &state, now)?;
            }
        }
        Ok::<(), Error>(())
    })?;
    drop(checks);
    let left = wanted.len().saturating_sub(ready.len());
    if left > 0 || unknown > 0 {
        ui.say(
            Level::Note,
            &format!(
                "Save Page Now: {} page{} to submit next run ([archives] save_max = {}{})",
                left + unknown,
                if left + unknown == 1 { "" } else { "s" },
                cfg.save_max,
                if unknown > 0 {
                    format!("; {unknown} could not be looked up")
                } else {
                    String::new()
                }
            ),
        );
    }

    let patience = Patience {
        poll: std::time::Duration::from_secs_f64(cfg.save_poll),
        wait: std::time::Duration::from_secs_f64(cfg.save_wait),
    };
    let requests: Vec<public::save::Request> = pending.into_iter().chain(ready).collect();
    let total = requests.len();
    let (outcomes, stopped) = runtime.block_on(save_all(
        archives.api(),
        &credentials,
        requests,
        (cfg.save_jobs, patience),
        |saved| ui.progress("saving", saved, total),
    ));
    let now = clock::now();
    let mut passing = Vec::new();
    for (request, outcome) in outcomes {
        let submitted = request.job_id.is_none();
        let state = |state| SaveState {
            state,
            submitted,
            ..SaveState::default()
        };
        match outcome {
            Outcome::Saved(capture) => {
                let copy = public::Verified {
                    capture,
                    verification: public::Verification::Saved,
                };
                store.set_public_copy(request.link_id, &copy, now)?;
                store.record_save(request.link_id, &state("saved"), now)?;
                done.saved += 1;
            }
            Outcome::Pending(job) => {
                let pending = SaveState {
                    job_id: Some(&job),
                    ..state("pending")
                };
                store.record_save(request.link_id, &pending, now)?;
                done.save_pending += 1;
            }
            Outcome::Later(why) => {
                // Not sent (limits), or sent and not taken: waits for the next run.
                let queued = SaveState {
                    error: why.as_deref(),
                    submitted: false,
                    ..state("queued")
                };
                store.record_save(request.link_id, &queued, now)?;
                done.save_pending += 1;
                passing.extend(why);
            }
            Outcome::Failed(why) => {
                let failed = SaveState {
                    error: Some(&why),
                    ..state("failed")
                };
                store.record_save(request.link_id, &failed, now)?;
                ui.say(
                    Level::Warning,
                    &format!("Save Page Now will not save {}: {why}", request.url),
                );
            }
        }
    }
    if let Some(why) = stopped {
        ui.say(
            Level::Warning,
            &format!("{why}; the rest is submitted next run"),
        );
    }
    if let Some(first) = passing.first() {
        ui.say(
            Level::Warning,
            &format!(
                "{} save{} did not go through ({first}); tried again next run",
                passing.len(),
                if passing.len() == 1 { "" } else { "s" }
            ),
        );
    }
    if done.saved > 0 {
        ui.say(
            Level::Note,
            &format!(
                "saved {} page{} to the Wayback Machine",
                done.saved,
                if done.saved == 1 { "" } else { "s" }
            ),
        );
    }
    Ok(())
}
