//! Tag lists: paginated by `Link` headers, bounded in tags, bytes and pages.

use reqwest::{Method, StatusCode};

use super::transport::{drain, read_capped};
use super::{Op, RegistryStore};
use crate::error::{Error, Result, untrusted_text};
use crate::store::Store;

impl RegistryStore {
    pub(super) async fn fetch_tags(&self) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct TagList {
            tags: Option<Vec<String>>,
        }
        let limits = &self.limits;
        let what = format!("tag list of {}", self.name());
        let over = |unit, limit: u64, seen: u64, option| Error::LimitExceeded {
            what: what.clone(),
            unit,
            limit,
            seen,
            option,
        };
        let mut tags = Vec::new();
        let mut bytes = 0u64;
        let mut url = self.url("tags/list")?;
        for page in 1.. {
            if page > limits.max_tag_pages {
                return Err(over(
                    "pages",
                    limits.max_tag_pages as u64,
                    page as u64,
                    "RegistryOptions::max_tag_pages",
                ));
            }
            let fetched = self
                .within(|| format!("GET {what}, page {page}"), async {
                    let mut resp = self.send(Method::GET, &url, Op::Pull, |r| r).await?;
                    if !resp.status().is_success() {
                        // A repository nothing was pushed to yet has no tags
                        // (distribution: NAME_UNKNOWN).
                        if resp.status() == StatusCode::NOT_FOUND && page == 1 {
                            drain(resp).await;
                            return Ok(None);
                        }
                        return Err(self.fail("GET", &url, resp, "tag list").await);
                    }
                    let next = resp
                        .headers()
                        .get("link")
                        .and_then(|v| v.to_str().ok())
                        .and_then(next_link)
                        .map(str::to_owned);
                    let budget = limits.max_tag_list_bytes.saturating_sub(bytes);
                    match read_capped(&mut resp, budget).await? {
                        Ok(body) => Ok(Some((body, next))),
                        Err(seen) => Err(over(
                            "bytes",
                            limits.max_tag_list_bytes,
                            bytes + seen,
                            "RegistryOptions::max_tag_list_bytes",
                        )),
                    }
                })
                .await?;
            let Some((body, next)) = fetched else {
                return Ok(Vec::new());
            };
            bytes += body.len() as u64;
            let list: TagList = serde_json::from_slice(&body).map_err(|e| Error::Registry {
                method: "GET".into(),
                url: url.to_string(),
                status: 200,
                message: format!("tag list is not JSON: {}", untrusted_text(&e.to_string())),
            })?;
            let page_tags = list.tags.unwrap_or_default();
            if tags.len() + page_tags.len() > limits.max_tags {
                return Err(over(
                    "tags",
                    limits.max_tags as u64,
                    (tags.len() + page_tags.len()) as u64,
                    "RegistryOptions::max_tags",
                ));
            }
            tags.extend(page_tags);
            let Some(n) = next else { break };
            let n = url.join(&n).map_err(|e| Error::InvalidLocation {
                input: untrusted_text(&n),
                reason: e.to_string(),
            })?;
            if !self.same_origin(&n) {
                break;
            }
            url = n;
        }
        tags.sort();
        tags.dedup();
        Ok(tags)
    }
}

/// The target of the `rel="next"` link of a `Link` header (RFC 8288), as the distribution
/// API paginates tag lists: `</v2/app/tags/list?last=b&n=2>; rel="next"`. A link without a
/// `rel` parameter counts as the next page; a header with no such link, or one that does
/// not parse (a target with white space, controls or `<`), has none.
pub(crate) fn next_link(header: &str) -> Option<&str> {
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return None;
        }
        let after_open = rest.strip_prefix('<')?;
        let close = after_open.find('>')?;
        let target = &after_open[..close];
        // A URI reference has no white space, controls or angle brackets.
        if target
            .chars()
            .any(|c| c == '<' || c.is_whitespace() || c.is_control())
        {
            return None;
        }
        rest = &after_open[close + 1..];
        // The parameters run to the next link: a comma outside quotes.
        let mut in_quotes = false;
        let mut escaped = false;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_quotes => escaped = true,
                '"' => in_quotes = !in_quotes,
                ',' if !in_quotes => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let params = &rest[..end];
        rest = &rest[end..];
        let mut rel = None;
        for param in params.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            if key.trim().eq_ignore_ascii_case("rel") {
                rel = Some(value.trim().trim_matches('"'));
            }
        }
        let is_next = rel.is_none_or(|r| {
            r.split_ascii_whitespace()
                .any(|t| t.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target);
        }
    }
}
