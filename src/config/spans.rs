//! Source positions of every key and value in an environment file.
//!
//! serde_yaml deserializes without positions, so errors found after parsing (unknown keys, wrong types,
//! cross-field rules) would otherwise point at nothing. This index maps a dotted key path (`service.cpu`,
//! `stack.tags.Owner`, `list[2]`) to where the key and its value start. It does not interpret values.

use std::collections::BTreeMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A 1-based line and column in an environment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Where a key and its value start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub key: Position,
    pub value: Position,
}

/// Positions of every key path in one YAML document.
#[derive(Debug, Default, Clone)]
pub struct SpanIndex {
    spans: BTreeMap<String, Span>,
}

impl SpanIndex {
    /// Indexes `text`. A syntax error yields an empty index: serde_yaml reports the syntax error itself.
    pub fn build(text: &str) -> SpanIndex {
        let mut builder = Builder::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut builder, false).is_err() {
            return SpanIndex::default();
        }
        SpanIndex {
            spans: builder.spans,
        }
    }

    /// Where the key at `path` starts, falling back to the closest indexed parent so that a missing key is
    /// reported at the mapping that should hold it.
    pub fn key(&self, path: &str) -> Position {
        self.lookup(path)
            .map(|span| span.key)
            .unwrap_or(Position { line: 1, column: 1 })
    }

    /// Where the value at `path` starts, with the same fallback as [`SpanIndex::key`].
    pub fn value(&self, path: &str) -> Position {
        self.lookup(path)
            .map(|span| span.value)
            .unwrap_or(Position { line: 1, column: 1 })
    }

    fn lookup(&self, path: &str) -> Option<&Span> {
        let mut current = path;
        loop {
            if let Some(span) = self.spans.get(current) {
                return Some(span);
            }
            let cut = current.rfind(['.', '['])?;
            current = &current[..cut];
        }
    }
}

/// One open collection while walking the event stream.
enum Frame {
    /// A mapping at `path`; `pending_key` holds a key whose value has not started yet.
    Mapping {
        path: String,
        pending_key: Option<(String, Position)>,
    },
    /// A sequence at `path`; `next` is the index of the next item.
    Sequence { path: String, next: usize },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    spans: BTreeMap<String, Span>,
}

fn position(mark: Marker) -> Position {
    Position {
        line: mark.line(),
        column: mark.col() + 1,
    }
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

impl Builder {
    /// Called when a value (scalar or collection) starts; returns the path it lives at, or `None` when the event
    /// is a mapping key.
    fn value_starts(&mut self, mark: Marker, scalar: Option<&str>) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Sequence { path, next }) => {
                let item = format!("{path}[{next}]");
                *next += 1;
                self.spans.insert(
                    item.clone(),
                    Span {
                        key: position(mark),
                        value: position(mark),
                    },
                );
                Some(item)
            }
            Some(Frame::Mapping { path, pending_key }) => match pending_key.take() {
                Some((key, key_position)) => {
                    let full = join(path, &key);
                    self.spans.insert(
                        full.clone(),
                        Span {
                            key: key_position,
                            value: position(mark),
                        },
                    );
                    Some(full)
                }
                None => {
                    // A key. Complex (non-scalar) keys are not indexed.
                    *pending_key = Some((scalar.unwrap_or("?").to_owned(), position(mark)));
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(value, ..) => {
                self.value_starts(mark, Some(&value));
            }
            Event::Alias(_) => {
                self.value_starts(mark, None);
            }
            Event::MappingStart(..) => {
                let path = self.value_starts(mark, None).unwrap_or_default();
                self.stack.push(Frame::Mapping {
                    path,
                    pending_key: None,
                });
            }
            Event::SequenceStart(..) => {
                let path = self.value_starts(mark, None).unwrap_or_default();
                self.stack.push(Frame::Sequence { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_nested_keys_and_sequence_items() {
        let text = "stack:\n  name: x\n  tags:\n    Owner: me\nlist:\n  - a\n  - b\n";
        let index = SpanIndex::build(text);
        assert_eq!(index.key("stack.name"), Position { line: 2, column: 3 });
        assert_eq!(index.value("stack.name"), Position { line: 2, column: 9 });
        assert_eq!(
            index.key("stack.tags.Owner"),
            Position { line: 4, column: 5 }
        );
        assert_eq!(index.value("list[1]"), Position { line: 7, column: 5 });
    }

    #[test]
    fn missing_key_falls_back_to_parent() {
        let index = SpanIndex::build("stack:\n  name: x\n");
        assert_eq!(index.key("stack.region"), Position { line: 1, column: 1 });
        assert_eq!(
            index.key("stack.name.deeper"),
            Position { line: 2, column: 3 }
        );
    }
}
