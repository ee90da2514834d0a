//! A small Server-Sent Events client over reqwest's streamed body, for the notification
//! stream tests (also used by the CLI suite, which needs only part of it).
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;

/// One parsed event (comments are counted, not returned).
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|err| panic!("event data is not JSON ({err}): {}", self.data))
    }

    /// The `id:` line as a number.
    #[track_caller]
    pub fn id(&self) -> i64 {
        self.id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("event without a numeric id: {self:?}"))
    }
}

/// What the stream produced next.
#[derive(Debug)]
pub enum Next {
    Event(SseEvent),
    /// A `:` comment line (the keepalive).
    Comment(String),
    /// The server closed the stream.
    Closed,
}

/// An open `text/event-stream` response.
pub struct SseStream {
    response: reqwest::Response,
    buffer: String,
}

impl SseStream {
    /// `GET url` with a bearer token and an optional `Last-Event-ID`; panics unless 200
    /// `text/event-stream`.
    pub async fn connect(client: &reqwest::Client, url: &str, token: &str, last_event_id: Option<i64>) -> SseStream {
        let mut request = client.get(url).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id.to_string());
        }
        SseStream::open(request).await
    }

    /// Sends `request` (e.g. with `?ticket=` instead of a token); panics unless 200
    /// `text/event-stream`.
    pub async fn open(request: reqwest::RequestBuilder) -> SseStream {
        let request = request.header("accept", "text/event-stream");
        let response = tokio::time::timeout(Duration::from_secs(20), request.send())
            .await
            .expect("the stream's headers arrive within 20 s")
            .expect("stream request sent");
        assert_eq!(response.status(), 200, "stream status");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/event-stream"), "content type {content_type}");
        SseStream { response, buffer: String::new() }
    }

    /// The next event or comment, or `None` when nothing came before `deadline`.
    async fn next_before(&mut self, deadline: tokio::time::Instant) -> Option<Next> {
        loop {
            if let Some(next) = self.parse_one() {
                return Some(next);
            }
            let chunk = match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return None,
                Ok(chunk) => chunk.expect("stream body readable"),
            };
            match chunk {
                Some(bytes) => self.buffer.push_str(std::str::from_utf8(&bytes).expect("UTF-8 stream")),
                None => return Some(Next::Closed),
            }
        }
    }

    /// The next event (skipping keepalives), waiting at most `wait`.
    pub async fn event(&mut self, wait: Duration, what: &str) -> SseEvent {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match self.next_before(deadline).await {
                Some(Next::Event(event)) => return event,
                Some(Next::Comment(_)) => continue,
                Some(Next::Closed) => panic!("the stream closed while waiting for {what}"),
                None => panic!("no event within {wait:?} while waiting for {what}"),
            }
        }
    }

    /// `n` events, in the order they came.
    pub async fn events(&mut self, n: usize, wait: Duration, what: &str) -> Vec<SseEvent> {
        let mut events = Vec::with_capacity(n);
        for i in 0..n {
            events.push(self.event(wait, &format!("{what} (event {} of {n})", i + 1)).await);
        }
        events
    }

    /// Reads until a keepalive comment arrives and returns the events seen before it. The
    /// server sends a keepalive only after a full heartbeat interval without events, so this
    /// is "everything pending" once the stream has gone quiet.
    pub async fn until_keepalive(&mut self, wait: Duration, what: &str) -> Vec<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut events = Vec::new();
        loop {
            match self.next_before(deadline).await {
                Some(Next::Event(event)) => events.push(event),
                Some(Next::Comment(text)) => {
                    assert_eq!(text.trim(), "keepalive", "comment text");
                    return events;
                }
                Some(Next::Closed) => panic!("the stream closed while waiting for a keepalive ({what})"),
                None => panic!("no keepalive within {wait:?} ({what}); events so far: {events:?}"),
            }
        }
    }

    /// Waits for the server to end the stream (events before the end are returned).
    pub async fn until_closed(&mut self, wait: Duration, what: &str) -> Vec<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut events = Vec::new();
        loop {
            match self.next_before(deadline).await {
                Some(Next::Event(event)) => events.push(event),
                Some(Next::Comment(_)) => {}
                Some(Next::Closed) => return events,
                None => panic!("the stream was not closed within {wait:?} ({what})"),
            }
        }
    }

    fn parse_one(&mut self) -> Option<Next> {
        let normalized = self.buffer.replace("\r\n", "\n");
        if normalized.len() != self.buffer.len() {
            self.buffer = normalized;
        }
        let end = self.buffer.find("\n\n")?;
        let block: String = self.buffer.drain(..end + 2).collect();
        let mut event = SseEvent { id: None, event: None, data: String::new() };
        let mut has_data = false;
        let mut comment = None;
        for line in block.lines() {
            if let Some(text) = line.strip_prefix(':') {
                comment = Some(text.to_owned());
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" => event.id = Some(value.to_owned()),
                "event" => event.event = Some(value.to_owned()),
                "data" => {
                    if has_data {
                        event.data.push('\n');
                    }
                    event.data.push_str(value);
                    has_data = true;
                }
                _ => {}
            }
        }
        if has_data || event.id.is_some() || event.event.is_some() {
            Some(Next::Event(event))
        } else if let Some(comment) = comment {
            Some(Next::Comment(comment))
        } else {
            self.parse_one()
        }
    }
}
