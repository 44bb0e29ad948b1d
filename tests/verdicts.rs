//! A labelled corpus of the real web's answers, played by the simulated web: each case is
//! modelled on how a well-known site answers today (named in its comment), with the status
//! a careful editor wants and why. `check` must give each its status, with evidence.
//! `verdict_evaluation` (ignored; `benches/verdicts.sh` runs it) prints precision and
//! recall of rot for citekeep and, when installed, for lychee, side by side.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::support::web::{Behave, SimWeb};
use crate::support::{stderr, stdout};

/// One labelled case: the cited URL, the status wanted, and why (the site it is modelled on).
struct Case {
    url: &'static str,
    want: &'static str,
    why: &'static str,
}

const fn case(url: &'static str, want: &'static str, why: &'static str) -> Case {
    Case { url, want, why }
}

/// The corpus. Rot is `gone`, `soft404` and `moved` into an archive (the `rot` column of the
/// evaluation); walls are `blocked`.
const CASES: &[Case] = &[
    // Classic answers.
    case(
        "https://www.gov.uk/government/publications/frontier-ai-capabilities",
        "alive",
        "GOV.UK publication; unknown paths get a 404 page",
    ),
    case(
        "https://www.gov.uk/government/publications/never-published-thing",
        "gone",
        "GOV.UK 404",
    ),
    case(
        "https://en.wikipedia.org/wiki/AI_safety",
        "alive",
        "Wikipedia article",
    ),
    case(
        "https://en.wikipedia.org/wiki/Nonexistent_AI_article_xyz",
        "gone",
        "Wikipedia answers 404 for a missing article",
    ),
    case(
        "https://www.bbc.com/news/technology-67302788",
        "alive",
        "BBC News story",
    ),
    case(
        "https://www.bbc.com/news/technology-11111111",
        "gone",
        "BBC News removed story: 404",
    ),
    case(
        "https://arxiv.org/abs/2310.17688",
        "alive",
        "arXiv abstract page",
    ),
    case(
        "https://arxiv.org/abs/9999.99999",
        "gone",
        "arXiv unknown identifier: 404",
    ),
    case(
        "https://github.com/PauseAI/pauseai-website",
        "alive",
        "GitHub repository",
    ),
    case(
        "https://github.com/PauseAI/deleted-repository",
        "gone",
        "GitHub deleted repository: 404",
    ),
    case(
        "https://thezvi.substack.com/p/ai-safety-summit",
        "alive",
        "Substack post",
    ),
    case(
        "https://thezvi.substack.com/p/deleted-draft",
        "gone",
        "Substack deleted post: 404",
    ),
    case(
        "https://www.theguardian.com/technology/2023/nov/01/ai-safety-summit",
        "alive",
        "Guardian article",
    ),
    case(
        "https://www.theguardian.com/technology/2019/jan/01/taken-down",
        "gone",
        "Guardian legally removed article: 410",
    ),
    case(
        "https://medium.com/@author/why-we-should-pause-3f2a1b",
        "alive",
        "Medium post",
    ),
    case(
        "https://medium.com/@author/removed-post-9c8d7e",
        "gone",
        "Medium removed post: 410",
    ),
    case(
        "https://www.anthropic.com/news/core-views-on-ai-safety",
        "alive",
        "Anthropic news page",
    ),
    case(
        "https://www.ft.com/content/0a1b2c3d-summit",
        "alive",
        "FT paywalled article: 200 with a barrier, still there",
    ),
    case(
        "https://www.gov.uk/media/ai-report.pdf",
        "alive",
        "GOV.UK PDF, HEAD answered",
    ),
    case(
        "https://assets.publishing.service.gov.uk/media/old-report.pdf",
        "gone",
        "GOV.UK asset removed: 404",
    ),
    case(
        "https://slow.example/report",
        "alive",
        "a slow server that answers in time",
    ),
    case(
        "https://busy.example/page",
        "alive",
        "429 with Retry-After, then the page",
    ),
    case(
        "https://down.example/page",
        "server_error",
        "503 every time",
    ),
    case(
        "https://hang.example/page",
        "timeout",
        "a server that never answers",
    ),
    case(
        "https://nxdomain.example/page",
        "network_error",
        "a domain that does not resolve",
    ),
    case("https://loop.example/a", "server_error", "a redirect loop"),
    // Trivial redirects and moves.
    case(
        "http://www.safe.ai/statement-on-ai-risk",
        "alive",
        "CAIS: http to https",
    ),
    case(
        "https://futureoflife.org/open-letter/pause-giant-ai-experiments",
        "alive",
        "FLI: a trailing slash added",
    ),
    case(
        "https://www.gov.uk/government/news/old-title",
        "moved",
        "GOV.UK: a renamed news story, 301",
    ),
    case(
        "https://openai.com/blog/planning-for-agi-and-beyond",
        "moved",
        "OpenAI: /blog/ moved to /index/, 301",
    ),
    case(
        "https://www.deepmind.com/blog/frontier-safety",
        "moved",
        "DeepMind: moved to deepmind.google, 301",
    ),
    case(
        "https://www.oldblog.example/2019/05/my-essay",
        "moved",
        "a blog moved to a new domain, 301 to a slug",
    ),
    case(
        "http://www.un.org/sg/statements/ai",
        "moved",
        "UN: 301 to the /en/ tree",
    ),
    case(
        "https://bit.ly/3aiSummit",
        "moved",
        "a URL shortener: 301 to the page",
    ),
    case(
        "https://doi.org/10.1000/182",
        "alive",
        "DOI: 302 to the publisher's article page",
    ),
    // Application shells (x.com and other script-built pages).
    case(
        "https://x.com/yi_zeng/status/1831133250946838740",
        "blocked",
        "X post: the same shell for every path, live or not",
    ),
    case(
        "https://x.com/someone/status/1000000000000000000",
        "blocked",
        "X deleted post: the same shell; cannot tell",
    ),
    case(
        "https://twitter.com/sama/status/1700000000000000000",
        "blocked",
        "twitter.com: 301 to x.com's shell",
    ),
    case(
        "https://www.instagram.com/p/C1a2b3c4d5e/",
        "alive",
        "Instagram: a shell whose og:title names the post",
    ),
    case(
        "https://mastodon.social/@pauseai/111222333444555666",
        "alive",
        "Mastodon: a shell whose og:title names the toot",
    ),
    case(
        "https://app.spa.example/item/42",
        "alive",
        "an SPA that answers 404 to unknown paths",
    ),
    // Error words in real titles.
    case(
        "https://www.theverge.com/2024/5/1/google-ai-page-not-found",
        "alive",
        "The Verge: a headline saying 'page not found'; a random sibling is 404",
    ),
    case(
        "https://www.wired.com/story/error-404-the-lost-web",
        "alive",
        "Wired: 'Error 404' in a real headline; a random sibling is 404",
    ),
    case(
        "https://errors.example/docs/page",
        "soft404",
        "a catch-all that answers 200 'Page not found' to every path",
    ),
    case(
        "https://edition.cnn.com/2019/05/01/tech/removed-story",
        "soft404",
        "CNN: 200 'Page not found - CNN' for missing stories",
    ),
    // Cited archive copies.
    case(
        "https://web.archive.org/web/2023/https://www.example.org/page",
        "alive",
        "Wayback: 302 that only makes the timestamp exact",
    ),
    case(
        "https://webarchive.nationalarchives.gov.uk/ukgwa/2024/https://www.gov.uk/x",
        "alive",
        "UK Government Web Archive: 302 to the exact capture",
    ),
    case("https://archive.ph/AbCdE", "alive", "archive.today copy"),
    case(
        "https://www.gov.uk/government/publications/withdrawn-paper",
        "moved",
        "GOV.UK withdrawn page: 301 into the National Archives (rot)",
    ),
    // Section fronts.
    case(
        "https://www.cnbc.com/2023/05/01/ai-regulation-story.html",
        "soft404",
        "CNBC: a dead story 301 to /technology/",
    ),
    case(
        "https://www.independent.co.uk/tech/ai-summit-bletchley-a1234567.html",
        "soft404",
        "The Independent: 301 to /tech",
    ),
    case(
        "https://www.europarl.europa.eu/news/en/press-room/20230505IPR84904/ai-act",
        "soft404",
        "European Parliament: 302 to /news/en.html",
    ),
    case(
        "https://ec.europa.eu/digital/ai/white-paper-2020",
        "soft404",
        "European Commission: 301 to /index_en",
    ),
    case(
        "https://blog.section.example/2020/01/old-post",
        "soft404",
        "a blog sending every missing post, and a random sibling, to /blog/",
    ),
    case(
        "https://www.whitehouse.gov/briefing-room/statements/2023/10/30/ai-order",
        "soft404",
        "White House: after a change of administration, 301 to the home page",
    ),
    case(
        "https://www.whitehouse.gov/ostp/ai-bill-of-rights/",
        "soft404",
        "White House: 302 to the home page",
    ),
    // Parked and expired domains.
    case(
        "https://expired-blog.example/2019/post",
        "soft404",
        "expired domain: 302 to HugeDomains",
    ),
    case(
        "https://oldstartup.example/about",
        "soft404",
        "parked domain: a 'this domain is for sale' page",
    ),
    case(
        "https://lapsed.example/research",
        "soft404",
        "expired domain: 301 to Sedo",
    ),
    case(
        "https://forsale.example/paper",
        "soft404",
        "expired domain: 302 to Dan.com",
    ),
    case(
        "https://go.tracker.example/x",
        "blocked",
        "a 302 to another site's empty page: cannot tell",
    ),
    case(
        "https://go.everything.example/campaign-2019",
        "soft404",
        "a redirector that sends every path, a random one too, to one landing page",
    ),
    // Pages named by their query.
    case(
        "https://www.youtube.com/watch?v=live123abc",
        "alive",
        "YouTube video: its title names it; a random id gets the bare 'YouTube' page",
    ),
    case(
        "https://www.youtube.com/watch?v=removed999",
        "soft404",
        "YouTube removed video: the same bare page as a random id",
    ),
    case(
        "https://www.gov.uk/government/news/summit-press-release",
        "moved",
        "GOV.UK page archived by The National Archives, sent there by a meta refresh",
    ),
    case(
        "https://blog.oldsite.example/2023/summit-notes",
        "soft404",
        "a removed post whose page sends readers to the home page by script",
    ),
    case(
        "https://www.youtube.com/watch?v=private77",
        "soft404",
        "YouTube video made private: its player state says so in the page",
    ),
    case(
        "https://forum.example/index.php?id=42",
        "alive",
        "a forum topic",
    ),
    case(
        "https://forum.example/index.php?id=999",
        "soft404",
        "a deleted forum topic: the same page as a random id",
    ),
    case(
        "https://shop.example/article.aspx?id=7",
        "alive",
        "an ASP.NET page whose random id redirects to an error page",
    ),
    // Consent walls.
    case(
        "https://news.yahoo.com/ai-summit-agrees-declaration-123456789.html",
        "blocked",
        "Yahoo: 302 to consent.yahoo.com",
    ),
    case(
        "https://www.google.com/maps/place/Bletchley+Park",
        "blocked",
        "Google: 302 to consent.google.com",
    ),
    case(
        "https://www.volkskrant.nl/nieuws-achtergrond/ai-top~b1234567/",
        "blocked",
        "DPG Media: 303 to myprivacy.dpgmedia.nl",
    ),
    case(
        "https://www.nu.nl/tech/6290000/ai-top.html",
        "blocked",
        "nu.nl: 302 to a consent management host",
    ),
    // Notices on live pages.
    case(
        "https://www.gov.uk/government/publications/ai-regulation-white-paper",
        "alive",
        "GOV.UK: 'This publication was withdrawn on 12 May 2023'",
    ),
    case(
        "https://journal.example/article/10.1000/retracted-study",
        "alive",
        "a journal article marked RETRACTED",
    ),
    case(
        "https://www.gov.uk/guidance/superseded-guidance",
        "alive",
        "GOV.UK guidance that has been superseded",
    ),
    // Walls.
    case(
        "https://www.reuters.com/technology/ai-summit-2024-04-29/",
        "blocked",
        "Reuters: DataDome 401",
    ),
    case(
        "https://www.politico.eu/article/ai-safety-summit/",
        "blocked",
        "Politico: Cloudflare challenge 403",
    ),
    case(
        "https://www.nytimes.com/2023/11/01/technology/ai-summit.html",
        "blocked",
        "NYT: DataDome 403",
    ),
    case(
        "https://www.linkedin.com/posts/someone_ai-activity-123",
        "blocked",
        "LinkedIn: 999",
    ),
    case(
        "https://www.economist.com/leaders/2023/11/02/ai",
        "blocked",
        "The Economist: Cloudflare challenge",
    ),
    case(
        "https://docs.google.com/document/d/1abc/edit",
        "blocked",
        "Google Docs: 302 to the sign-in page",
    ),
    case(
        "https://www.facebook.com/events/123456789/",
        "blocked",
        "Facebook: 302 to /login/",
    ),
    case(
        "https://www.bloomberg.com/news/articles/2023-11-01/ai-summit",
        "alive",
        "Bloomberg: a live article on a site that sends unknown paths home",
    ),
    case(
        "https://www.aisi.gov.uk/work/pre-deployment-evaluation",
        "alive",
        "AISI page",
    ),
    case(
        "https://www.aisi.gov.uk/work/withdrawn-evaluation",
        "gone",
        "AISI removed page: 404",
    ),
    case(
        "https://www.safe.ai/work/statement",
        "alive",
        "CAIS page (https)",
    ),
    // Errors that are not HTML (Amazon S3's documented error responses; data APIs that
    // answer 200 with an error envelope, as many JSON APIs do).
    case(
        "https://reports.s3.amazonaws.com/2023/frontier-ai.pdf",
        "alive",
        "a report on S3",
    ),
    case(
        "https://reports.s3.amazonaws.com/2023/never.pdf",
        "gone",
        "S3 NoSuchKey (404)",
    ),
    case(
        "https://reports.s3.amazonaws.com/2023/removed.pdf",
        "gone",
        "S3 AccessDenied for a missing object on a bucket that is not listable (403)",
    ),
    case(
        "https://api.data.example/v1/datasets/ai-incidents",
        "alive",
        "a data API's dataset",
    ),
    case(
        "https://api.data.example/v1/datasets/withdrawn",
        "soft404",
        "a data API's 200 with an error object",
    ),
    case(
        "https://api.data.example/v1/datasets/renamed",
        "soft404",
        "a data API's 200 whose message says the dataset does not exist",
    ),
    case(
        "https://docs.oldproject.example/guide",
        "gone",
        "Fastly's 500 \"unknown domain\": the site is no longer configured",
    ),
    case(
        "https://news.walled.example/content/ai-summit",
        "blocked",
        "Cloudflare challenge recognised by its title alone (503 \"Just a moment...\")",
    ),
];

/// A page with a title and enough text of its own.
fn page(title: &str, text: &str) -> Behave {
    Behave::html(
        title,
        &format!(
            "{text} {}",
            "More paragraphs of the article follow here. ".repeat(8)
        ),
    )
}

fn redirect(code: u16, to: &str) -> Behave {
    Behave::Redirect(code, to.to_string())
}

/// What an application shell sends for every path: a few words, a noscript notice, scripts.
fn shell(og_title: Option<&str>) -> Behave {
    let og = og_title
        .map(|t| format!("<meta property=\"og:title\" content=\"{t}\">"))
        .unwrap_or_default();
    Behave::Page(
        200,
        vec![("content-type", "text/html; charset=utf-8".into())],
        format!(
            "<!doctype html><html><head><title>X</title>{og}<script>{}</script></head>\
             <body><noscript>JavaScript is not available. Please enable JavaScript.</noscript>\
             <div id=\"react-root\"></div><script src=\"/main.js\"></script></body></html>",
            "window.__INITIAL_STATE__={};".repeat(200)
        ),
    )
}

fn not_found(title: &str) -> Behave {
    Behave::status(
        404,
        &[],
        &format!("<title>{title}</title><p>We could not find that page.</p>"),
    )
}

/// The simulated web of the corpus: known pages, and how each site answers unknown paths
/// (the never-existing siblings the probe asks for).
fn route(host: &str, path: &str, earlier: usize) -> Behave {
    let probe = path.contains("citekeep-probe");
    match (host, path) {
        ("www.gov.uk", "/government/news/summit-press-release") => Behave::Page(
            200,
            vec![("content-type", "text/html; charset=utf-8".into())],
            "<!doctype html><html><head><title>This page has been archived - GOV.UK</title>\
             <meta http-equiv=\"refresh\" content=\"0; url=https://webarchive.nationalarchives.gov.uk/ukgwa/20240101000000/https://www.gov.uk/government/news/summit-press-release\">\
             </head><body><p>This page has been archived and is no longer updated.</p></body></html>"
                .into(),
        ),
        ("www.gov.uk", "/government/publications/frontier-ai-capabilities") => page(
            "Frontier AI capabilities - GOV.UK",
            "A discussion paper on frontier AI capabilities and risks.",
        ),
        ("www.gov.uk", "/government/news/old-title") => redirect(301, "/government/news/new-title"),
        ("www.gov.uk", "/government/news/new-title") => page(
            "New title - GOV.UK",
            "The renamed news story about the summit.",
        ),
        ("www.gov.uk", "/media/ai-report.pdf") => Behave::Page(
            200,
            vec![("content-type", "application/pdf".into())],
            "%PDF-1.7".into(),
        ),
        ("www.gov.uk", "/government/publications/withdrawn-paper") => redirect(
            301,
            "https://webarchive.nationalarchives.gov.uk/ukgwa/20240101000000/https://www.gov.uk/government/publications/withdrawn-paper",
        ),
        ("www.gov.uk", "/government/publications/ai-regulation-white-paper") => Behave::html(
            "AI regulation: a pro-innovation approach - GOV.UK",
            "<div class=\"gem-c-notice\"><h2>This publication was withdrawn on <time>12 May 2023</time></h2></div><p>The white paper sets out a framework for regulating AI. More text of the paper follows for readers who want it.</p>",
        ),
        ("www.gov.uk", "/guidance/superseded-guidance") => page(
            "Guidance on AI - GOV.UK",
            "This guidance has been superseded by the 2024 framework.",
        ),
        ("www.gov.uk", _) => not_found("Page not found - GOV.UK"),
        ("assets.publishing.service.gov.uk", _) => not_found("Not found"),
        ("webarchive.nationalarchives.gov.uk", p) if p.starts_with("/ukgwa/2024/") => {
            redirect(302, &p.replace("/ukgwa/2024/", "/ukgwa/20240101120000/"))
        }
        ("webarchive.nationalarchives.gov.uk", p) if p.starts_with("/ukgwa/2024") && !probe => {
            page(
                "UK Government Web Archive",
                "An archived copy of a GOV.UK page, as it was.",
            )
        }
        ("webarchive.nationalarchives.gov.uk", _) => {
            not_found("UK Government Web Archive: not in the archive")
        }
        ("en.wikipedia.org", "/wiki/AI_safety") => page(
            "AI safety - Wikipedia",
            "AI safety is an interdisciplinary field.",
        ),
        ("en.wikipedia.org", _) => {
            not_found("Wikipedia does not have an article with this exact name")
        }
        ("www.bbc.com", "/news/technology-67302788") => page(
            "AI summit: leaders agree - BBC News",
            "World leaders met at Bletchley Park.",
        ),
        ("www.bbc.com", _) => not_found("BBC - 404: Not Found"),
        ("arxiv.org", "/abs/2310.17688") => page(
            "[2310.17688] Managing AI Risks",
            "Abstract of the paper on managing extreme AI risks.",
        ),
        ("arxiv.org", _) => not_found("Article identifier not recognized"),
        ("github.com", "/PauseAI/pauseai-website") => page(
            "PauseAI/pauseai-website",
            "The website of PauseAI, in SvelteKit.",
        ),
        ("github.com", _) => not_found("Page not found · GitHub"),
        ("thezvi.substack.com", "/p/ai-safety-summit") => page(
            "AI Safety Summit - Don't Worry About the Vase",
            "Thoughts on the summit.",
        ),
        ("thezvi.substack.com", _) => not_found("Not found"),
        ("www.theguardian.com", "/technology/2023/nov/01/ai-safety-summit") => page(
            "AI safety summit | The Guardian",
            "Leaders gathered at Bletchley.",
        ),
        ("www.theguardian.com", "/technology/2019/jan/01/taken-down") => Behave::status(
            410,
            &[],
            "<title>This page has been removed | The Guardian</title>",
        ),
        ("www.theguardian.com", _) => not_found("Page not found | The Guardian"),
        ("medium.com", "/@author/why-we-should-pause-3f2a1b") => page(
            "Why we should pause | Medium",
            "An essay arguing for a pause.",
        ),
        ("medium.com", "/@author/removed-post-9c8d7e") => Behave::status(
            410,
            &[],
            "<title>Medium</title><p>This post is under investigation or was found in violation of the Medium Rules.</p>",
        ),
        ("medium.com", _) => not_found("Medium"),
        ("www.anthropic.com", "/news/core-views-on-ai-safety") => page(
            "Core Views on AI Safety \\ Anthropic",
            "We believe AI could have an enormous impact.",
        ),
        ("www.anthropic.com", _) => not_found("Not found \\ Anthropic"),
        ("www.ft.com", "/content/0a1b2c3d-summit") => page(
            "Subscribe to read | Financial Times",
            "AI summit: what the leaders agreed. Subscribe to read the rest of this article.",
        ),
        ("www.ft.com", _) => not_found("Page not found | Financial Times"),
        ("slow.example", "/report") => Behave::Slow(
            Duration::from_millis(700),
            Box::new(page("Report", "A slow but working report page.")),
        ),
        ("slow.example", _) => not_found("Not found"),
        ("busy.example", "/page") if earlier == 0 => {
            Behave::status(429, &[("retry-after", "1")], "slow down")
        }
        ("busy.example", "/page") => page("Busy", "The page, on the second try."),
        ("busy.example", _) => not_found("Not found"),
        ("down.example", _) => Behave::status(503, &[], "Service Unavailable"),
        ("hang.example", _) => Behave::Hang,
        ("nxdomain.example", _) => Behave::NoSuchHost,
        ("loop.example", "/a") => redirect(302, "/b"),
        ("loop.example", _) => redirect(302, "/a"),
        ("www.safe.ai", "/statement-on-ai-risk") => page(
            "Statement on AI Risk | CAIS",
            "Mitigating the risk of extinction from AI should be a global priority.",
        ),
        ("www.safe.ai", "/work/statement") => {
            page("Statement | CAIS", "The statement and its signatories.")
        }
        ("www.safe.ai", _) => not_found("404 | CAIS"),
        ("futureoflife.org", "/open-letter/pause-giant-ai-experiments") => {
            redirect(301, "/open-letter/pause-giant-ai-experiments/")
        }
        ("futureoflife.org", "/open-letter/pause-giant-ai-experiments/") => page(
            "Pause Giant AI Experiments: An Open Letter",
            "We call on all AI labs to immediately pause.",
        ),
        ("futureoflife.org", _) => not_found("Page not found - Future of Life Institute"),
        ("openai.com", "/blog/planning-for-agi-and-beyond") => {
            redirect(301, "/index/planning-for-agi-and-beyond/")
        }
        ("openai.com", "/index/planning-for-agi-and-beyond/") => page(
            "Planning for AGI and beyond | OpenAI",
            "Our mission is to ensure that AGI benefits all of humanity.",
        ),
        ("openai.com", _) => not_found("Page not found | OpenAI"),
        ("www.deepmind.com", p) => redirect(301, &format!("https://deepmind.google/discover{p}/")),
        ("deepmind.google", "/discover/blog/frontier-safety/") => page(
            "Frontier Safety Framework - Google DeepMind",
            "Our approach to frontier safety.",
        ),
        ("deepmind.google", _) => not_found("Page not found - Google DeepMind"),
        ("www.oldblog.example", "/2019/05/my-essay") => {
            redirect(301, "https://newblog.example/my-essay")
        }
        ("www.oldblog.example", _) => not_found("Not found"),
        ("newblog.example", "/my-essay") => page("My essay", "The essay, at its new home."),
        ("newblog.example", _) => not_found("Not found"),
        ("www.un.org", "/sg/statements/ai") => {
            redirect(301, "https://www.un.org/en/sg/statements/ai")
        }
        ("www.un.org", "/en/sg/statements/ai") => page(
            "Secretary-General's statement on AI | United Nations",
            "The Secretary-General on artificial intelligence.",
        ),
        ("www.un.org", _) => not_found("Page not found | United Nations"),
        ("bit.ly", "/3aiSummit") => redirect(
            301,
            "https://www.gov.uk/government/publications/frontier-ai-capabilities",
        ),
        ("bit.ly", _) => not_found("bitly"),
        ("doi.org", "/10.1000/182") => redirect(302, "https://journals.example.org/article/182"),
        ("doi.org", _) => not_found("DOI Not Found"),
        ("journals.example.org", "/article/182") => {
            page("The DOI Handbook | Journals", "The article the DOI names.")
        }
        ("journals.example.org", _) => not_found("Not found"),
        ("x.com", _) => shell(None),
        ("twitter.com", p) => redirect(301, &format!("https://x.com{p}")),
        ("www.instagram.com", "/p/C1a2b3c4d5e/") => {
            shell(Some("PauseAI on Instagram: \"Protest at Bletchley\""))
        }
        ("www.instagram.com", _) => shell(Some("Instagram")),
        ("mastodon.social", "/@pauseai/111222333444555666") => {
            shell(Some("PauseAI (@pauseai@mastodon.social)"))
        }
        ("mastodon.social", _) => shell(Some("Mastodon")),
        ("app.spa.example", "/item/42") => shell(Some("Item 42")),
        ("app.spa.example", _) => not_found("Not found"),
        ("www.theverge.com", "/2024/5/1/google-ai-page-not-found") => page(
            "Google's AI says this page doesn't exist - The Verge",
            "A bug in the search assistant claims real pages are not found.",
        ),
        ("www.theverge.com", _) => not_found("404 Not Found - The Verge"),
        ("www.wired.com", "/story/error-404-the-lost-web") => page(
            "Error 404: The Web Is Losing Its Memory | WIRED",
            "Link rot takes a quarter of cited pages.",
        ),
        ("www.wired.com", _) => not_found("Page Not Found | WIRED"),
        ("errors.example", _) => Behave::html(
            "Page not found | Example",
            "Whatever you were looking for is not here.",
        ),
        ("edition.cnn.com", _) => Behave::html(
            "Page not found - CNN",
            "The page you requested could not be found.",
        ),
        ("web.archive.org", p) if p.starts_with("/web/2023/") => {
            redirect(302, &p.replace("/web/2023/", "/web/20230115000000/"))
        }
        ("web.archive.org", p) if p.starts_with("/web/20230115000000/") && !probe => {
            page("Wayback Machine", "The page as it was in January 2023.")
        }
        ("web.archive.org", _) => not_found("Wayback Machine: not in the archive"),
        ("archive.ph", "/AbCdE") => page("archive.ph", "The page as archive.today saved it."),
        ("archive.ph", _) => not_found("archive.ph: not found"),
        ("www.cnbc.com", "/technology/") => {
            page("Technology News | CNBC", "The latest technology headlines.")
        }
        ("www.cnbc.com", _) => redirect(301, "https://www.cnbc.com/technology/"),
        ("www.independent.co.uk", "/tech") => {
            page("Tech | The Independent", "Technology news and reviews.")
        }
        ("www.independent.co.uk", _) => redirect(301, "/tech"),
        ("www.europarl.europa.eu", "/news/en.html") => page(
            "News | European Parliament",
            "News from the European Parliament.",
        ),
        ("www.europarl.europa.eu", _) => redirect(302, "/news/en.html"),
        ("ec.europa.eu", "/index_en") => page(
            "European Commission",
            "The European Commission's home page.",
        ),
        ("ec.europa.eu", _) => redirect(301, "/index_en"),
        ("blog.section.example", "/blog/") => page("Blog", "All posts of the blog, newest first."),
        ("blog.section.example", _) => redirect(302, "/blog/"),
        ("www.whitehouse.gov", "/") => page("The White House", "The home of the White House."),
        ("www.whitehouse.gov", "/briefing-room/statements/2023/10/30/ai-order") => {
            redirect(301, "/")
        }
        ("www.whitehouse.gov", _) => redirect(302, "https://www.whitehouse.gov/"),
        ("expired-blog.example", _) => redirect(
            302,
            "https://www.hugedomains.com/domain_profile.cfm?d=expired-blog.example",
        ),
        ("www.hugedomains.com", _) => page(
            "expired-blog.example is for sale | HugeDomains",
            "Buy this domain today.",
        ),
        ("oldstartup.example", _) => Behave::html(
            "oldstartup.example",
            "This domain is for sale! Make an offer on this domain today.",
        ),
        ("lapsed.example", _) => redirect(
            301,
            "https://sedo.com/search/details/?domain=lapsed.example",
        ),
        ("sedo.com", _) => page(
            "lapsed.example - Sedo",
            "The domain lapsed.example may be for sale.",
        ),
        ("forsale.example", _) => redirect(302, "https://dan.com/buy-domain/forsale.example"),
        ("dan.com", _) => page("forsale.example is for sale", "Buy forsale.example."),
        ("go.tracker.example", "/x") => redirect(302, "https://landing.adnetwork.example/r?id=1"),
        ("go.tracker.example", _) => not_found("Not found"),
        ("go.everything.example", _) => redirect(302, "https://landing.adnetwork.example/r?id=2"),
        ("landing.adnetwork.example", _) => Behave::html("Redirecting", "Please wait."),
        // Pages that send the reader on by themselves.
        ("blog.oldsite.example", "/2023/summit-notes") => Behave::Page(
            200,
            vec![("content-type", "text/html; charset=utf-8".into())],
            "<!doctype html><html><head><title>Redirecting</title></head><body>\
             <script>window.location.replace(\"/\");</script></body></html>"
                .into(),
        ),
        ("blog.oldsite.example", "/") => page("Old Site", "The front page of the old site."),
        ("blog.oldsite.example", _) => not_found("Not found"),
        // A video the platform took down: its page keeps a title, its embedded player
        // state says why (as YouTube's ytInitialPlayerResponse does).
        ("www.youtube.com", "/watch?v=private77") => Behave::Page(
            200,
            vec![("content-type", "text/html; charset=utf-8".into())],
            "<!doctype html><html><head><title>Frontier AI hearing - YouTube</title>\
             <script>var ytInitialPlayerResponse = {\"responseContext\":{},\
             \"playabilityStatus\":{\"status\":\"LOGIN_REQUIRED\",\"reason\":\"This video is private\"}};</script>\
             </head><body><div id=\"player\"></div></body></html>"
                .into(),
        ),
        ("www.youtube.com", "/watch?v=live123abc") => page(
            "The AI Safety Summit, explained - YouTube",
            "A video about the summit.",
        ),
        ("www.youtube.com", _) => Behave::html(
            "YouTube",
            "Enjoy the videos and music you love, upload original content.",
        ),
        ("forum.example", "/index.php?id=42") => page(
            "Topic 42: pausing AI - Forum",
            "The first post of the topic.",
        ),
        ("forum.example", _) => Behave::html(
            "Forum",
            "The topic you are looking for does not exist. Board index.",
        ),
        ("shop.example", "/article.aspx?id=7") => {
            page("Article 7 - Shop", "The article's description.")
        }
        ("shop.example", "/error.aspx") => Behave::html("Error - Shop", "Something went wrong."),
        ("shop.example", _) => redirect(302, "/error.aspx"),
        ("news.yahoo.com", _) => redirect(
            302,
            "https://consent.yahoo.com/v2/collectConsent?sessionId=3_cc-session",
        ),
        ("consent.yahoo.com", _) => Behave::html(
            "Yahoo is part of the Yahoo family of brands",
            "Before you continue, we need your consent.",
        ),
        ("www.google.com", _) => redirect(
            302,
            "https://consent.google.com/ml?continue=https://www.google.com/maps",
        ),
        ("consent.google.com", _) => {
            Behave::html("Before you continue to Google", "We use cookies and data.")
        }
        ("www.volkskrant.nl", _) => {
            redirect(303, "https://myprivacy.dpgmedia.nl/consent?siteKey=abc")
        }
        ("myprivacy.dpgmedia.nl", _) => {
            Behave::html("Privacy | DPG Media", "Wij vragen je toestemming.")
        }
        ("www.nu.nl", _) => redirect(302, "https://cmp.nu.nl/consent?return=x"),
        ("cmp.nu.nl", _) => Behave::html("NU.nl privacy", "Toestemming."),
        ("journal.example", "/article/10.1000/retracted-study") => page(
            "RETRACTED: A study of scaling and safety",
            "This article has been retracted at the request of the authors.",
        ),
        ("journal.example", _) => not_found("Not found"),
        ("www.reuters.com", _) => Behave::status(
            401,
            &[("x-datadome", "protected")],
            "<p>Please enable JS and disable any ad blocker</p>",
        ),
        ("www.politico.eu", _) => Behave::status(
            403,
            &[("cf-mitigated", "challenge"), ("server", "cloudflare")],
            "<title>Just a moment...</title>",
        ),
        ("www.nytimes.com", _) => {
            Behave::status(403, &[("x-datadome", "protected")], "<p>captcha</p>")
        }
        ("www.linkedin.com", _) => Behave::status(999, &[], ""),
        ("www.economist.com", _) => Behave::status(
            403,
            &[("cf-mitigated", "challenge")],
            "<title>Just a moment...</title>",
        ),
        ("docs.google.com", _) => redirect(
            302,
            "https://accounts.google.com/ServiceLogin?continue=https://docs.google.com/document/d/1abc/edit",
        ),
        ("accounts.google.com", _) => {
            Behave::html("Sign in - Google Accounts", "Sign in to continue to Docs.")
        }
        ("www.facebook.com", p) if p.starts_with("/login/") => {
            Behave::html("Log in to Facebook", "Log in to see this event.")
        }
        ("www.facebook.com", _) => redirect(
            302,
            "https://www.facebook.com/login/?next=https%3A%2F%2Fwww.facebook.com%2Fevents%2F123456789%2F",
        ),
        ("www.bloomberg.com", "/news/articles/2023-11-01/ai-summit") => page(
            "AI Summit Ends With Declaration - Bloomberg",
            "Leaders signed the declaration.",
        ),
        ("www.bloomberg.com", "/") => page("Bloomberg", "Business news."),
        ("www.bloomberg.com", _) => redirect(302, "https://www.bloomberg.com/"),
        ("www.aisi.gov.uk", "/work/pre-deployment-evaluation") => page(
            "Pre-deployment evaluation | AISI",
            "Our evaluation of a frontier model.",
        ),
        ("www.aisi.gov.uk", _) => not_found("Page not found | AISI"),
        // Object storage, as Amazon S3 answers (XML error bodies, x-amz-request-id).
        ("reports.s3.amazonaws.com", "/2023/frontier-ai.pdf") => Behave::Raw(
            200,
            vec![("content-type", "application/pdf".into()), ("server", "AmazonS3".into())],
            b"%PDF-1.4 a report".to_vec(),
        ),
        ("reports.s3.amazonaws.com", "/2023/removed.pdf" | "/2023/never.pdf") => {
            let (code, name) = if path.ends_with("removed.pdf") {
                (403, "AccessDenied")
            } else {
                (404, "NoSuchKey")
            };
            Behave::Page(
                code,
                vec![
                    ("content-type", "application/xml".into()),
                    ("server", "AmazonS3".into()),
                    ("x-amz-request-id", "4442587FB7D0A2F9".into()),
                ],
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{name}</Code>\
                     <Message>Access Denied</Message><RequestId>4442587FB7D0A2F9</RequestId>\
                     <HostId>abc</HostId></Error>"
                ),
            )
        }
        ("reports.s3.amazonaws.com", _) => Behave::Page(
            404,
            vec![("content-type", "application/xml".into()), ("server", "AmazonS3".into())],
            "<Error><Code>NoSuchKey</Code></Error>".into(),
        ),
        // Data APIs that answer a removed item with 200 and an error envelope.
        ("api.data.example", "/v1/datasets/ai-incidents") => Behave::Page(
            200,
            vec![("content-type", "application/json".into())],
            r#"{"id": "ai-incidents", "title": "AI incidents", "rows": 1200, "updated": "2026-11-01"}"#.into(),
        ),
        ("api.data.example", "/v1/datasets/withdrawn") => Behave::Page(
            200,
            vec![("content-type", "application/json".into())],
            r#"{"error": {"code": 404, "message": "Dataset not found"}}"#.into(),
        ),
        ("api.data.example", "/v1/datasets/renamed") => Behave::Page(
            200,
            vec![("content-type", "application/json; charset=utf-8".into())],
            r#"{"status": "error", "message": "The requested dataset does not exist."}"#.into(),
        ),
        ("api.data.example", _) => Behave::Page(
            404,
            vec![("content-type", "application/json".into())],
            r#"{"error": "not found"}"#.into(),
        ),
        // Hosting platforms whose site is gone (Fastly's 500, GitHub Pages' 404 page).
        ("docs.oldproject.example", _) => Behave::status(
            500,
            &[("server", "Varnish")],
            "<html><head><title>Fastly error: unknown domain docs.oldproject.example</title></head>\
             <body><p>Fastly error: unknown domain: docs.oldproject.example. Please check that \
             this domain has been added to a service.</p></body></html>",
        ),
        // A challenge recognised by its title alone (no cf-mitigated header).
        ("news.walled.example", _) => Behave::status(
            503,
            &[],
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>\
             <noscript>Enable JavaScript and cookies to continue</noscript></body></html>",
        ),
        _ => not_found("Not found"),
    }
}

/// What `check --format json` said of each cited URL: (status, detail, evidence).
fn check_corpus(web: &SimWeb, dir: &Path) -> BTreeMap<String, (String, String, Vec<String>)> {
    let urls: String = CASES.iter().map(|c| format!("{}\n", c.url)).collect();
    std::fs::write(dir.join("urls.txt"), urls).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[check]\ntimeout = 3\nconnect_timeout = 3\nretries = 1\nretry_after_cap = 5\n\
         host_interval = 0\nper_host = 4\nconcurrency = 32\n",
    )
    .unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    cmd.current_dir(dir)
        .args(["check", "--format", "json", "urls.txt"])
        .timeout(Duration::from_secs(120));
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let json: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    json["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let evidence = l["evidence"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            (
                l["url"].as_str().unwrap().to_string(),
                (
                    l["status"].as_str().unwrap_or("").to_string(),
                    l["detail"].as_str().unwrap_or("").to_string(),
                    evidence,
                ),
            )
        })
        .collect()
}

/// The link identity citekeep gives a cited URL (tracking parameters and fragments off).
fn key(url: &str) -> String {
    citekeep::link::link_key(url)
}

#[test]
fn every_labelled_answer_gets_its_status_with_evidence() {
    assert!(CASES.len() >= 80, "{} cases", CASES.len());
    let web = SimWeb::start(route);
    let dir = tempfile::tempdir().unwrap();
    let got = check_corpus(&web, dir.path());
    let mut wrong = Vec::new();
    for c in CASES {
        let Some((status, detail, evidence)) = got.get(&key(c.url)) else {
            wrong.push(format!("{}: not in the output", c.url));
            continue;
        };
        if status != c.want {
            wrong.push(format!(
                "{} ({}): {status} ({detail}), wanted {}\n    evidence: {evidence:?}",
                c.url, c.why, c.want
            ));
        }
        assert!(
            !detail.is_empty() && !evidence.is_empty(),
            "{}: no evidence",
            c.url
        );
    }
    assert!(
        wrong.is_empty(),
        "{} of {} wrong:\n{}",
        wrong.len(),
        CASES.len(),
        wrong.join("\n")
    );
    // The details say what an editor needs to know.
    let detail = |u: &str| got[&key(u)].1.clone();
    assert!(
        detail("https://x.com/yi_zeng/status/1831133250946838740").contains("script-built page")
    );
    assert!(
        detail("https://news.yahoo.com/ai-summit-agrees-declaration-123456789.html")
            .contains("consent wall")
    );
    assert!(detail("https://oldstartup.example/about").contains("parked domain"));
    assert!(
        detail("https://www.gov.uk/government/publications/ai-regulation-white-paper")
            .contains("withdrawn on 12 May 2023")
    );
}

/// Rot as the evaluation counts it: gone, soft-404, moved into an archive.
fn is_rot(case: &Case) -> bool {
    matches!(case.want, "gone" | "soft404")
        || (case.want == "moved" && case.why.contains("National Archives"))
}

/// Precision and recall of rot, and walls reported as rot, for citekeep and (when it is on
/// PATH) lychee, on the corpus. Run by `benches/verdicts.sh`.
#[test]
#[ignore]
fn verdict_evaluation() {
    let web = SimWeb::start(route);
    let dir = tempfile::tempdir().unwrap();
    let got = check_corpus(&web, dir.path());
    let citekeep_rot = |c: &Case| {
        got.get(&key(c.url)).is_some_and(|(s, d, _)| {
            matches!(s.as_str(), "gone" | "soft404") || (s == "moved" && d.contains("archive"))
        })
    };
    let mut rows = vec![("citekeep", score(citekeep_rot))];
    if let Some(lychee) = lychee_failures(&web, dir.path()) {
        rows.push(("lychee", score(|c: &Case| lychee.contains(&key(c.url)))));
    } else {
        println!("lychee is not on PATH: only citekeep is scored");
    }
    println!("| tool | rot found | precision | recall | walls reported as rot |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (tool, (found, precision, recall, walls)) in rows {
        println!("| {tool} | {found} | {precision:.2} | {recall:.2} | {walls} |");
    }
}

/// (rot reported, precision, recall, walls reported as rot) of a tool's rot calls.
fn score(reported: impl Fn(&Case) -> bool) -> (usize, f64, f64, usize) {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut walls = 0;
    for c in CASES {
        match (reported(c), is_rot(c)) {
            (true, true) => tp += 1,
            (true, false) => {
                fp += 1;
                walls += usize::from(c.want == "blocked");
            }
            (false, true) => fn_ += 1,
            _ => {}
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    (tp + fp, precision, recall, walls)
}

/// The URLs lychee reports as failing (any error status), through the simulated web.
fn lychee_failures(web: &SimWeb, dir: &Path) -> Option<std::collections::HashSet<String>> {
    let mut cmd = std::process::Command::new("lychee");
    cmd.current_dir(dir)
        .args([
            "--format",
            "json",
            "--no-progress",
            "--max-retries",
            "1",
            "--timeout",
            "3",
        ])
        .args(["--include-verbatim", "urls.txt"]);
    for (k, v) in web.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().ok()?;
    let json: Value = serde_json::from_slice(&out.stdout).ok()?;
    let mut failed = std::collections::HashSet::new();
    for (_, list) in json["error_map"]
        .as_object()
        .into_iter()
        .flatten()
        .chain(json["fail_map"].as_object().into_iter().flatten())
    {
        for item in list.as_array().into_iter().flatten() {
            if let Some(url) = item["url"].as_str() {
                failed.insert(key(url));
            }
        }
    }
    Some(failed)
}

/// An article page in a site's chrome: `paragraphs` in `<article>`, `extra` after it in
/// `<main>` (related links, comments), and what the head holds besides the title.
fn article(title: &str, paragraphs: &[&str], extra: &str, head: &str) -> Behave {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>")).collect();
    Behave::Page(
        200,
        vec![("content-type", "text/html; charset=utf-8".into())],
        format!(
            "<!doctype html><html><head><title>{title}</title>{head}</head><body>\
             <nav><a href=/>Home</a> <a href=/news>News</a> <a href=/about>About</a></nav>\
             <main><article><h1>{title}</h1>{body}</article>{extra}</main>\
             <footer>Copyright, terms, privacy</footer></body></html>"
        ),
    )
}

const STORY: [&str; 4] = [
    "The government announced on Tuesday that frontier model developers will share their systems with the new safety institute before release.",
    "Ministers said the agreement covers evaluations of dangerous capabilities, including cyber offence and biological risks, and will be reviewed every year.",
    "Critics argued the commitments are voluntary and that the institute has no power to delay a release it considers unsafe.",
    "The institute's chair told reporters that twelve companies had signed, and that the first evaluations would begin within three months.",
];

fn related(n: usize, seed: &str) -> String {
    let items: String = (0..n)
        .map(|i| format!("<li><a href=/s/{seed}{i}>Another story about {seed} number {i}</a></li>"))
        .collect();
    format!("<section><h2>Related</h2><ul>{items}</ul></section>")
}

fn comments(n: usize) -> String {
    (0..n)
        .map(|i| format!("<div class=comment><p>Reader {i}: comment number {i} makes a fair point about this policy.</p></div>"))
        .collect()
}

/// The cited-content corpus: (path on news.example, status wanted the second night, why).
/// Modelled on what publishers do to pages after they are cited: GOV.UK and newspapers
/// correct and update articles (alive), live blogs grow, comment threads grow; removed items
/// answer 200 with an error page while unknown paths answer 404 (BBC, many CMSs), articles
/// are redirected to a department's home page (GOV.UK after machinery-of-government
/// changes), domains lapse and are taken over, articles are withdrawn leaving a notice, and
/// paywalls are added (`isAccessibleForFree: false`, as schema.org's paywalled-content
/// markup says).
const CITED_CONTENT: &[(&str, &str, &str)] = &[
    ("/corrected", "alive", "a correction"),
    ("/updated", "alive", "an update added below"),
    ("/live", "alive", "a live blog that grew threefold"),
    ("/discussed", "alive", "comments from 2 to 26"),
    ("/relinked", "alive", "the link lists inside <main> changed"),
    ("/redesigned", "alive", "a redesign around the same text"),
    (
        "/retracted-above",
        "alive",
        "a correction notice above the text, still there",
    ),
    ("/new-slug", "moved", "moved to a new slug, the text kept"),
    (
        "/removed",
        "soft404",
        "a 200 error page where the article was; unknown paths get 404",
    ),
    (
        "/to-department",
        "soft404",
        "redirected to the department's home page, deep in the site",
    ),
    (
        "/rewritten",
        "drifted",
        "the address answers with another article",
    ),
    (
        "/usurped",
        "drifted",
        "the domain's new owner serves spam at the path",
    ),
    ("/withdrawn", "soft404", "only a withdrawal notice remains"),
    (
        "/paywalled",
        "blocked",
        "a paywall added after the citation",
    ),
];

/// The second night's answer for a path of the cited-content corpus (the first night,
/// every path answers the story itself).
fn cited_content(path: &str, night: i64) -> Behave {
    let title = "Labs agree to safety tests";
    let cited = CITED_CONTENT.iter().any(|(p, _, _)| *p == path);
    if night == 0 && cited {
        let extra = if path == "/discussed" {
            comments(2)
        } else {
            related(8, "a")
        };
        return article(title, &STORY, &extra, "");
    }
    let growth: Vec<String> = (0..8)
        .map(|i| {
            let mut words: Vec<&str> = STORY[i % 4].split(' ').collect();
            words.rotate_left(i + 2);
            words.reverse();
            format!("Update {i}: {}", words.join(" "))
        })
        .chain(STORY.iter().map(|s| s.to_string()))
        .collect();
    let growth: Vec<&str> = growth.iter().map(String::as_str).collect();
    let corrected = STORY[3].replace("twelve", "eleven");
    match path {
        "/corrected" => article(
            title,
            &[STORY[0], STORY[1], STORY[2], &corrected],
            &related(8, "a"),
            "",
        ),
        "/updated" => article(
            title,
            &[
                STORY[0],
                STORY[1],
                STORY[2],
                STORY[3],
                "Update: the consultation opens in the spring.",
            ],
            &related(8, "a"),
            "",
        ),
        "/live" => article(
            "Live: labs agree to safety tests",
            &growth,
            &related(8, "a"),
            "",
        ),
        "/discussed" => article(title, &STORY, &comments(26), ""),
        "/relinked" => article(title, &STORY, &related(12, "b"), ""),
        "/redesigned" => Behave::html(
            "Labs agree to safety tests | The Paper",
            &format!(
                "<div class=story>{}</div><div class=promo>Subscribe to our newsletter.</div>",
                STORY.join(" ")
            ),
        ),
        "/retracted-above" => article(
            title,
            &[
                "Correction: this article has been retracted in part; an earlier version misstated the date.",
                STORY[0],
                STORY[1],
                STORY[2],
                STORY[3],
            ],
            &related(8, "a"),
            "",
        ),
        "/new-slug" => redirect(301, "/2024/labs-agree-to-safety-tests"),
        "/2024/labs-agree-to-safety-tests" => article(title, &STORY, &related(8, "c"), ""),
        "/removed" => article(
            "Sorry, we couldn't find that page",
            &[
                "The page you were looking for may have been moved or deleted. Try searching our site or browse the sections below for our latest coverage.",
            ],
            &related(4, "d"),
            "",
        ),
        "/to-department" => redirect(301, "/organisations/department-for-science/about/our-work"),
        "/organisations/department-for-science/about/our-work" => article(
            "Department for Science",
            &[
                "We are the department responsible for science, innovation and technology policy across the whole of government.",
                "Find out about our work, our ministers, our agencies and how we are organised to deliver our priorities.",
            ],
            &related(10, "e"),
            "",
        ),
        "/rewritten" => article(
            "Markets close higher",
            &[
                "Shares rose on Tuesday as investors welcomed figures showing inflation easing faster than expected in most regions of the country.",
                "Analysts said the central bank was now likely to cut rates before the summer, though some warned against too much optimism.",
            ],
            &related(8, "a"),
            "",
        ),
        "/usurped" => Behave::html(
            "Best casino bonuses 2026",
            "Claim free spins and the best welcome bonus at the online casinos we reviewed this month, with fast payouts and secure deposits for every new player who signs up today.",
        ),
        "/withdrawn" => article(
            title,
            &[
                "This article has been withdrawn by the publisher following a legal complaint about its contents.",
            ],
            "",
            "",
        ),
        "/paywalled" => article(
            title,
            &[
                STORY[0],
                "Subscribe to continue reading: this article is for subscribers only, with unlimited access from one pound a week.",
            ],
            "",
            r#"<script type="application/ld+json">{"@type":"NewsArticle","isAccessibleForFree": false}</script>"#,
        ),
        _ => not_found("Page not found"),
    }
}

/// Reference rot: the second night, each page of the corpus is judged against our copy as
/// cited from the first. Edited pages are alive (no drift alarm), the rest get the status
/// their content calls for.
#[test]
fn pages_are_judged_against_our_copy_as_cited() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};
    let night = Arc::new(AtomicI64::new(0));
    let seen = night.clone();
    let web = SimWeb::start(move |_, path, _| cited_content(path, seen.load(Ordering::SeqCst)));
    let sources: String = CITED_CONTENT
        .iter()
        .map(|(p, _, _)| format!("- [story](https://news.example{p})\n"))
        .collect();
    let dir = crate::support::site_dir(
        "a.md",
        &sources,
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 5\nretries = 0\nhost_interval = 0\n\
         [archives]\nenabled = false\n",
    );
    let (out, err, code) = crate::support::citekeep_on(Some(&web), dir.path(), &["run"]);
    assert_eq!(code, 0, "{out}{err}");
    night.store(1, Ordering::SeqCst);
    let (out, err, _) =
        crate::support::citekeep_on(Some(&web), dir.path(), &["check", "--format", "json"]);
    let json: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let mut wrong = Vec::new();
    for (path, want, why) in CITED_CONTENT {
        let url = format!("https://news.example{path}");
        let link = json["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["url"] == url.as_str())
            .unwrap_or_else(|| panic!("{url} not checked: {out}"));
        if link["status"] != *want {
            wrong.push(format!(
                "{path} ({why}): {} ({}), wanted {want}\n    evidence: {}",
                link["status"], link["detail"], link["evidence"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Walls, whatever they look like, four nights running: a Cloudflare challenge recognised
/// by its title alone (a 503 "Just a moment..." with no mitigation header, as Cloudflare
/// sends to clients it does not trust), a 429 asking for an hour's wait (longer than the
/// link's deadline), a DataDome 403 and a login redirect. Every night each is `blocked`
/// with what it answered in the evidence; no wall is ever a strike, so none is `dead`.
#[test]
fn walls_stay_blocked_night_after_night_and_never_die() {
    let web = SimWeb::start(|_, path, _| match path {
        "/challenge" => Behave::Page(
            503,
            vec![
                ("content-type", "text/html".into()),
                ("server", "cloudflare".into()),
            ],
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>\
             <noscript>Enable JavaScript and cookies to continue</noscript></body></html>"
                .into(),
        ),
        "/busy" => Behave::Page(
            429,
            vec![
                ("content-type", "text/html".into()),
                ("retry-after", "3600".into()),
            ],
            "<title>Too Many Requests</title>".into(),
        ),
        "/datadome" => Behave::Page(
            403,
            vec![
                ("content-type", "text/html".into()),
                ("x-datadome", "protected".into()),
            ],
            "<title>reuters.com</title>".into(),
        ),
        "/members" => redirect(302, "https://walled.example/login?next=/members"),
        p if p.starts_with("/login") => page("Sign in", "Sign in to continue reading."),
        _ => not_found("Not found"),
    });
    let dir = crate::support::site_dir(
        "a.md",
        "[a](https://walled.example/challenge) [b](https://walled.example/busy) \
         [c](https://walled.example/datadome) [d](https://walled.example/members)\n",
        "[site]\nsources = [\"site\"]\n[check]\ntimeout = 3\nretries = 2\nhost_interval = 0\n\
         [verdict]\nstrikes = 2\ndays = 1\n[archives]\nenabled = false\n",
    );
    for night in 0..4 {
        let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
        cmd.current_dir(dir.path())
            .args(["run", "--all"])
            .env(
                "CITEKEEP_NOW",
                format!("2026-11-{:02}T03:00:00Z", 20 + night),
            )
            .timeout(Duration::from_secs(120));
        for (k, v) in web.env() {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "night {night}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
    let out = cmd
        .current_dir(dir.path())
        .args(["report", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let problems = json["files"][0]["problems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for path in ["/challenge", "/busy", "/datadome", "/members"] {
        let url = format!("https://walled.example{path}");
        let p = problems.iter().find(|p| p["url"] == url.as_str());
        // A wall is no problem to fix: when listed, it is listed as blocked, never failing.
        if let Some(p) = p {
            assert_eq!(p["status"], "blocked", "{path}: {p}");
            assert_eq!(p["strikes"], 0, "{path}: {p}");
            assert!(
                p["verdict"] != "dead" && p["verdict"] != "failing",
                "{path}: {p}"
            );
        }
    }
    assert_eq!(json["summary"]["by_status"]["blocked"], 4, "{json}");
    assert!(
        json["summary"]["by_verdict"].get("dead").is_none(),
        "{json}"
    );
    let detail = |path: &str| {
        let mut cmd = assert_cmd::Command::cargo_bin("citekeep").unwrap();
        cmd.current_dir(dir.path())
            .args(["check", "--format", "json"])
            .timeout(Duration::from_secs(120));
        for (k, v) in web.env() {
            cmd.env(k, v);
        }
        let json: Value = serde_json::from_str(&stdout(&cmd.output().unwrap())).unwrap();
        json["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["url"] == format!("https://walled.example{path}").as_str())
            .map(|l| {
                (
                    l["status"].clone(),
                    l["detail"].clone(),
                    l["evidence"].clone(),
                )
            })
            .unwrap()
    };
    let (status, detail, evidence) = detail("/busy");
    assert_eq!(status, "blocked");
    assert!(
        detail.as_str().unwrap().contains("retry after 3600"),
        "{detail}"
    );
    assert!(evidence.to_string().contains("HTTP 429"), "{evidence}");
}
