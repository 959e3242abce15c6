//! Reading Server-Sent Events in tests: a line parser (`id:`, `event:`,
//! `data:`, comments) and an open stream read in the background.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc;

/// One dispatched SSE message.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: i64,
    pub event: String,
    pub data: Value,
    /// When the test read it.
    pub at: Instant,
}

#[derive(Debug)]
pub enum Frame {
    Comment(String),
    Message(Item),
}

/// A line-based SSE parser: `id:`, `event:`, `data:`, `retry:`, comments.
/// Unlike a browser it forgets the id after each message, so a message
/// without its own id is caught.
#[derive(Default)]
pub struct Parser {
    pending: Vec<u8>,
    id: Option<String>,
    event: Option<String>,
    data: Vec<String>,
}

impl Parser {
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Frame> {
        self.pending.extend_from_slice(chunk);
        let mut frames = Vec::new();
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let raw: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8(raw).expect("the stream is UTF-8");
            let line = line.trim_end_matches('\n').trim_end_matches('\r');
            if line.is_empty() {
                if !self.data.is_empty() {
                    let data = self.data.join("\n");
                    let id = self.id.take().expect("every message has an id");
                    frames.push(Frame::Message(Item {
                        id: id.parse().expect("ids are numbers"),
                        event: self.event.take().unwrap_or_else(|| "message".to_owned()),
                        data: serde_json::from_str(&data).expect("data is JSON"),
                        at: Instant::now(),
                    }));
                }
                self.id = None;
                self.event = None;
                self.data.clear();
                continue;
            }
            if let Some(comment) = line.strip_prefix(':') {
                frames.push(Frame::Comment(comment.trim().to_owned()));
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                "id" => self.id = Some(value.to_owned()),
                "event" => self.event = Some(value.to_owned()),
                "data" => self.data.push(value.to_owned()),
                _ => {}
            }
        }
        frames
    }
}

/// An open stream, read in the background; dropping it disconnects.
pub struct Sse {
    pub frames: mpsc::UnboundedReceiver<Frame>,
    pub reader: tokio::task::JoinHandle<()>,
}

impl Drop for Sse {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Sse {
    /// Reads an answered `GET /api/v1/stream` in the background, once it
    /// is checked to be an event stream and has said `: connected`.
    pub async fn open(mut response: reqwest::Response) -> Sse {
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "the stream is an event stream: {content_type}"
        );
        let (sender, frames) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            let mut parser = Parser::default();
            while let Ok(Some(chunk)) = response.chunk().await {
                for frame in parser.push(&chunk) {
                    if sender.send(frame).is_err() {
                        return;
                    }
                }
            }
        });
        let mut sse = Sse { frames, reader };
        sse.connected().await;
        sse
    }

    /// Waits for the `: connected` comment the server sends once the stream
    /// is registered (so nothing committed from now on can be missed).
    pub async fn connected(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.frames.recv()).await {
                Ok(Some(Frame::Comment(c))) if c == "connected" => return,
                Ok(Some(Frame::Comment(_))) => {}
                Ok(Some(Frame::Message(item))) => {
                    panic!("an item came before `: connected`: {item:?}")
                }
                Ok(None) => panic!("the stream closed before `: connected`"),
                Err(_) => panic!("no `: connected` within 5 s"),
            }
        }
    }

    /// The next message within `within`, skipping comments.
    pub async fn next_item(&mut self, within: Duration) -> Option<Item> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.frames.recv()).await {
                Ok(Some(Frame::Message(item))) => return Some(item),
                Ok(Some(Frame::Comment(_))) => {}
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Exactly `n` messages within `within`, or a panic saying how many came.
    pub async fn take(&mut self, n: usize, within: Duration) -> Vec<Item> {
        let deadline = Instant::now() + within;
        let mut items = Vec::with_capacity(n);
        while items.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_item(left).await {
                Some(item) => items.push(item),
                None => panic!(
                    "{} of {n} items came within {within:?}; last: {:?}",
                    items.len(),
                    items.last()
                ),
            }
        }
        items
    }

    /// Whatever comes until the stream has been quiet for `quiet`.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Item> {
        let mut items = Vec::new();
        while let Some(item) = self.next_item(quiet).await {
            items.push(item);
        }
        items
    }
}

/// Ids strictly increasing by one.
#[track_caller]
pub fn assert_consecutive(items: &[Item], what: &str) {
    for pair in items.windows(2) {
        assert_eq!(
            pair[1].id,
            pair[0].id + 1,
            "{what}: ids must increase by one, got {} then {}",
            pair[0].id,
            pair[1].id
        );
    }
}
