//! Authentication on a 401: the `WWW-Authenticate` challenge, Basic credentials, and the
//! distribution bearer-token flow (scopes `pull` / `pull,push`, plus the source repository of
//! a mount). A token realm over plain HTTP is refused unless loopback or allowed.

use base64::Engine as _;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderValue};

use super::transport::{MAX_ERROR_BYTES, error_message, is_loopback, read_bounded, read_prefix};
use super::{Op, RegistryStore};
use crate::auth::{Credential, parse_challenge};
use crate::error::{Error, Result, untrusted_text};

const MAX_TOKEN_BYTES: u64 = 1024 * 1024;

impl RegistryStore {
    pub(super) async fn authenticate(&self, challenge: &str, op: &Op) -> Result<()> {
        let unauthorized = |reason: String| Error::Unauthorized {
            registry: self.registry.clone(),
            reason,
        };
        let parsed = parse_challenge(challenge).ok_or_else(|| {
            unauthorized(format!(
                "unparseable challenge \"{}\"",
                untrusted_text(challenge)
            ))
        })?;
        let header = match parsed.scheme.as_str() {
            "basic" => match &self.credential {
                Credential::Basic { username, password } => basic_header(username, password)?,
                _ => {
                    return Err(unauthorized(
                        "the registry wants a user name and password; none configured".to_owned(),
                    ));
                }
            },
            "bearer" => {
                if let Credential::Bearer(token) = &self.credential {
                    bearer_header(token)?
                } else {
                    let token = self.fetch_token(&parsed.params, op).await?;
                    bearer_header(&token)?
                }
            }
            other => {
                return Err(unauthorized(format!(
                    "unsupported auth scheme \"{}\"",
                    untrusted_text(other)
                )));
            }
        };
        let mut state = self.auth.lock().await;
        state.header = Some(header);
        state.push = matches!(op, Op::Push { .. });
        Ok(())
    }

    async fn fetch_token(
        &self,
        params: &std::collections::BTreeMap<String, String>,
        op: &Op,
    ) -> Result<String> {
        let unauthorized = |reason: String| Error::Unauthorized {
            registry: self.registry.clone(),
            reason,
        };
        let realm = params
            .get("realm")
            .ok_or_else(|| unauthorized("bearer challenge without realm".to_owned()))?;
        let mut url = Url::parse(realm)
            .map_err(|e| unauthorized(format!("bad realm \"{}\": {e}", untrusted_text(realm))))?;
        let realm_host = url.host_str().unwrap_or_default().to_owned();
        let plain_ok =
            self.allow_http || is_loopback(&realm_host) || is_loopback(&format!("[{realm_host}]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && plain_ok) {
            return Err(unauthorized(format!(
                "refusing to send credentials to token service \"{}\" over {}",
                untrusted_text(realm),
                url.scheme()
            )));
        }
        let mut scopes = vec![match op {
            Op::Pull => format!("repository:{}:pull", self.repository),
            Op::Push { .. } => format!("repository:{}:pull,push", self.repository),
        }];
        if let Op::Push {
            mount_from: Some(from),
        } = op
        {
            scopes.push(format!("repository:{from}:pull"));
        }
        {
            let mut q = url.query_pairs_mut();
            if let Some(service) = params.get("service") {
                q.append_pair("service", service);
            }
            for s in &scopes {
                q.append_pair("scope", s);
            }
        }
        let mut req = self.http.get(url.clone());
        if let Credential::Basic { username, password } = &self.credential {
            req = req.header(AUTHORIZATION, basic_header(username, password)?);
        }
        crate::counting::record();
        let mut resp = req.send().await.map_err(|e| Error::Http {
            url: url.to_string(),
            source: e,
        })?;
        if !resp.status().is_success() {
            let status = resp.status();
            let body = read_prefix(&mut resp, MAX_ERROR_BYTES).await;
            return Err(unauthorized(format!(
                "token service answered {status}: {}",
                error_message(&body)
            )));
        }
        let body = read_bounded(&mut resp, MAX_TOKEN_BYTES, "token response").await?;
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            token: Option<String>,
            access_token: Option<String>,
        }
        let t: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            unauthorized(format!(
                "token response is not JSON: {}",
                untrusted_text(&e.to_string())
            ))
        })?;
        t.token
            .or(t.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauthorized("token response has no token".to_owned()))
    }
}

fn basic_header(username: &str, password: &str) -> Result<HeaderValue> {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    let mut h =
        HeaderValue::from_str(&format!("Basic {encoded}")).map_err(|_| Error::Credentials {
            source_name: "credentials".to_owned(),
            reason: "user name or password cannot be sent in a header".to_owned(),
        })?;
    h.set_sensitive(true);
    Ok(h)
}

fn bearer_header(token: &str) -> Result<HeaderValue> {
    let mut h =
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| Error::Credentials {
            source_name: "token".to_owned(),
            reason: "token cannot be sent in a header".to_owned(),
        })?;
    h.set_sensitive(true);
    Ok(h)
}
