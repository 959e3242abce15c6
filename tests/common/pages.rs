//! The pages as a browser without script sees them: a cookie jar, the
//! CSRF token of the last page read, forms posted as
//! `application/x-www-form-urlencoded`, redirects not followed.

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;

use super::{PASSWORD, TestApp};

/// An answer of a page: status, headers, HTML.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub html: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Every `Set-Cookie` of the answer.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }

    /// The CSRF token the page's forms carry.
    pub fn csrf(&self) -> String {
        let marker = "<meta name=\"csrf\" content=\"";
        let start = self.html.find(marker).expect("a page with a CSRF token") + marker.len();
        self.html[start..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Page {
        assert_eq!(self.status, status, "unexpected answer: {}", self.html);
        self
    }
}

/// One visitor: their cookies and language.
pub struct Visitor<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
    pub lang: &'static str,
    /// The CSRF token of the last page read.
    pub csrf: String,
}

impl<'a> Visitor<'a> {
    pub fn new(app: &'a TestApp, lang: &'static str) -> Visitor<'a> {
        Visitor {
            app,
            client: super::client_builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            lang,
            csrf: String::new(),
        }
    }

    /// A visitor signed in as `email` (the test password), through the
    /// sign-in page.
    pub async fn signed_in(app: &'a TestApp, email: &str, lang: &'static str) -> Visitor<'a> {
        let mut visitor = Visitor::new(app, lang);
        visitor.get("/").await.expect(200);
        let page = visitor
            .post("/sign-in", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(page.status, 303, "signing in as {email}: {}", page.html);
        visitor
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&mut self, page: &Page) {
        for cookie in page.set_cookies() {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        if page.html.contains("<meta name=\"csrf\"") {
            self.csrf = page.csrf();
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let response = request
            .header("accept-language", self.lang)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        let page = Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            html: response.text().await.unwrap(),
        };
        self.remember(&page);
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(self.app.url(path));
        self.send(request).await
    }

    /// Posts a form with this visitor's CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone();
        self.post_raw(path, fields, Some(&csrf), &[]).await
    }

    /// Posts a form with the given CSRF token (or none) and extra headers.
    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        csrf: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if let Some(token) = csrf {
            all.push(("csrf", token));
        }
        let mut request = self
            .client
            .post(self.app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded_pairs(&all));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }
}

fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
