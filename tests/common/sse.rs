//! Reading Server-Sent Events in tests: a line parser (`id:`, `event:`,
//! `data:`, comments) and an open stream read in the background.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

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
