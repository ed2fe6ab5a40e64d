//! Sticky comments: one comment (or a few, for a long report) per kind and key on a pull request, edited in place
//! on every run instead of a new comment per push.
//!
//! Each comment starts with a hidden marker, `<!-- omrs-gitops:plan:prod part 1/2 -->`, on its first line; a
//! comment is ours only when its body starts with a marker for the same kind and key, so comments by others, and
//! replies quoting ours (`> <!-- ...`), are never touched. Keys are escaped (letters, digits, `.`, `_`, `-` are
//! kept, every other byte becomes `%XX`) and long ones shortened with a hash, so no environment name can end the
//! HTML comment or pass for another key.
//!
//! A report longer than GitHub's 65,536 characters is `split` into parts, preferably between top-level Markdown
//! blocks; a code fence or `<details>` block larger than a part is closed at the end of one part and reopened
//! (same fence; `<summary>... (continued)</summary>`) at the start of the next, so every part renders on its own.
//! `plan_sync` (pure) decides what to create, update and delete; `sync_sticky` does it.
//!
//! Not done here: redaction. The caller hands over Markdown its report writer has already redacted.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{Comment, GitHubApi, GitHubError};

/// GitHub's limit on the body of a comment or an issue, in characters.
pub const COMMENT_LIMIT: usize = 65_536;

const MARKER_START: &str = "<!-- omrs-gitops:";
const MARKER_END: &str = " -->";
/// Escaped keys longer than this are shortened and given a hash of the whole key.
const MAX_KEY: usize = 100;
/// Summaries longer than this are cut in the `(continued)` line of a reopened `<details>` block.
const MAX_SUMMARY: usize = 200;

/// A kind or key as it appears in a marker: letters, digits, `.`, `_` and `-` kept, every other byte `%XX`;
/// longer than 100 characters, its first 64 then `~` and 16 hex digits of its SHA-256.
pub fn escape_key(key: &str) -> String {
    let mut escaped = String::new();
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-') {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    if escaped.len() <= MAX_KEY {
        return escaped;
    }
    let mut cut: usize = 64;
    // Never end inside a `%XX`.
    while escaped.as_bytes().get(cut.saturating_sub(1)) == Some(&b'%')
        || escaped.as_bytes().get(cut.saturating_sub(2)) == Some(&b'%')
    {
        cut -= 1;
    }
    let digest = Sha256::digest(key.as_bytes());
    let hash: String = digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{}~{hash}", &escaped[..cut])
}

/// The hidden first line of part `part` of `parts` of the report of `kind` (`plan`, `drift`) for `key` (an
/// environment name).
pub fn marker(kind: &str, key: &str, part: usize, parts: usize) -> String {
    format!(
        "{MARKER_START}{}:{} part {part}/{parts}{MARKER_END}",
        escape_key(kind),
        escape_key(key)
    )
}

/// A marker read back from the start of a body; `kind` and `key` stay escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub kind: String,
    pub key: String,
    pub part: usize,
    pub parts: usize,
}

impl Marker {
    /// Whether this marker belongs to the report of `kind` for `key`.
    pub fn is_for(&self, kind: &str, key: &str) -> bool {
        self.kind == escape_key(kind) && self.key == escape_key(key)
    }
}

/// The marker a body starts with, if it starts with one (on its very first line, nothing before it).
pub fn parse_marker(body: &str) -> Option<Marker> {
    let first = body.split('\n').next()?.trim_end_matches('\r');
    let inner = first.strip_prefix(MARKER_START)?.strip_suffix(MARKER_END)?;
    let (names, numbers) = inner.split_once(" part ")?;
    let (kind, key) = names.split_once(':')?;
    let (part, parts) = numbers.split_once('/')?;
    let escaped = |text: &str| {
        !text.is_empty()
            && text.bytes().all(|byte| {
                byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-' | b'%' | b'~')
            })
    };
    let part: usize = part.parse().ok()?;
    let parts: usize = parts.parse().ok()?;
    (escaped(kind) && escaped(key) && part >= 1 && part <= parts).then(|| Marker {
        kind: kind.to_owned(),
        key: key.to_owned(),
        part,
        parts,
    })
}

/// A construct that is open at some point of a Markdown document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Open {
    /// A fenced code block: its opening line, indentation and fence (three or more backticks or tildes).
    Fence {
        opener: String,
        indent: String,
        fence: String,
    },
    /// A `<details>` block: its opening tag and summary text.
    Details {
        tag: String,
        summary: Option<String>,
    },
}

fn fence_of(text: &str) -> Option<(String, String, String)> {
    let rest = text.trim_start_matches([' ', '\t']);
    let indent = &text[..text.len() - rest.len()];
    let symbol = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let count = rest.chars().take_while(|c| *c == symbol).count();
    let info = &rest[count..];
    (count >= 3 && !(symbol == '`' && info.contains('`'))).then(|| {
        (
            indent.to_owned(),
            rest[..count].to_owned(),
            info.trim().to_owned(),
        )
    })
}

fn summary_in(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<summary>")? + "<summary>".len();
    let end = start + lower[start..].find("</summary>")?;
    let summary: String = text[start..end].trim().chars().take(MAX_SUMMARY).collect();
    Some(summary)
}

/// Moves `stack` past one line.
fn step(stack: &mut Vec<Open>, line: &str) {
    let text = line.trim_end_matches(['\n', '\r']);
    if let Some(Open::Fence { fence, .. }) = stack.last() {
        if let Some((_, closing, info)) = fence_of(text) {
            if info.is_empty() && closing.starts_with(&fence[..1]) && closing.len() >= fence.len() {
                stack.pop();
            }
        }
        return;
    }
    if let Some((indent, fence, _)) = fence_of(text) {
        stack.push(Open::Fence {
            opener: format!("{text}\n"),
            indent,
            fence,
        });
        return;
    }
    let lower = text.to_ascii_lowercase();
    let mut at = 0;
    while let Some(found) = lower[at..].find('<') {
        let start = at + found;
        let tail = &lower[start..];
        let opens = tail.starts_with("<details")
            && tail[8..].starts_with(|c: char| c == '>' || c.is_whitespace());
        if opens {
            let end = tail.find('>').map_or(text.len(), |end| start + end + 1);
            stack.push(Open::Details {
                tag: text[start..end].to_owned(),
                summary: summary_in(&text[end..]),
            });
            at = end;
        } else if tail.starts_with("</details>") {
            if matches!(stack.last(), Some(Open::Details { .. })) {
                stack.pop();
            }
            at = start + "</details>".len();
        } else {
            // A summary on a line of its own, right after the tag.
            if let Some(Open::Details {
                summary: summary @ None,
                ..
            }) = stack.last_mut()
            {
                if tail.starts_with("<summary>") {
                    *summary = summary_in(&text[start..]);
                }
            }
            at = start + 1;
        }
    }
}

fn closers(stack: &[Open]) -> String {
    stack
        .iter()
        .rev()
        .map(|open| match open {
            Open::Fence { indent, fence, .. } => format!("{indent}{fence}\n"),
            Open::Details { .. } => "\n</details>\n".to_owned(),
        })
        .collect()
}

fn reopeners(stack: &[Open]) -> String {
    stack
        .iter()
        .map(|open| match open {
            Open::Fence { opener, .. } => opener.clone(),
            Open::Details { tag, summary } => format!(
                "{tag}<summary>{} (continued)</summary>\n\n",
                summary.as_deref().unwrap_or("Details")
            ),
        })
        .collect()
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// One part of a split report: what was reopened, a slice of the report, what was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub prefix: String,
    pub content: String,
    pub suffix: String,
}

impl Part {
    fn text(&self) -> String {
        format!("{}{}{}", self.prefix, self.content, self.suffix)
    }
}

struct Builder {
    limit: usize,
    parts: Vec<Part>,
    prefix: String,
    content: String,
    used: usize,
}

impl Builder {
    fn push(&mut self, text: &str) {
        self.content.push_str(text);
        self.used += chars(text);
    }

    /// Ends the current part, closing what `stack` holds open, and starts the next one reopening it.
    fn flush(&mut self, stack: &[Open]) {
        let mut suffix = String::new();
        if !stack.is_empty() {
            if !self.content.ends_with('\n') {
                suffix.push('\n');
            }
            suffix.push_str(&closers(stack));
        }
        self.parts.push(Part {
            prefix: std::mem::take(&mut self.prefix),
            content: std::mem::take(&mut self.content),
            suffix,
        });
        self.prefix = reopeners(stack);
        self.used = chars(&self.prefix);
    }
}

/// Where to hard-cut a line that fits nowhere: at most `room` characters, and never so that the rest starts like
/// a fence or a tag (which would change the structure of the next part).
fn cut_point(line: &str, room: usize) -> usize {
    let indices: Vec<usize> = line.char_indices().map(|(index, _)| index).collect();
    let mut count = room.clamp(1, indices.len().saturating_sub(1).max(1));
    while count > 1 {
        let rest = line[indices[count]..].trim_start_matches([' ', '\t']);
        if !rest.starts_with(['`', '~', '<']) {
            break;
        }
        count -= 1;
    }
    indices.get(count).copied().unwrap_or(line.len())
}

/// Splits `body` into parts of at most `limit` characters (see the module docs): a top-level block that fits in
/// a part of its own starts a new part rather than being cut; one larger than a part fills the current part and
/// is cut inside. The parts' contents concatenate
/// to `body`. `limit` must leave room for the reopened and closed constructs (a few hundred characters do).
pub(crate) fn split_parts(body: &str, limit: usize) -> Vec<Part> {
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    let mut stacks = Vec::with_capacity(lines.len() + 1);
    let mut stack = Vec::new();
    stacks.push(stack.clone());
    for line in &lines {
        step(&mut stack, line);
        stacks.push(stack.clone());
    }
    let mut builder = Builder {
        limit,
        parts: Vec::new(),
        prefix: String::new(),
        content: String::new(),
        used: 0,
    };
    let mut start = 0;
    while start < lines.len() {
        // A top-level block: up to the next line after which nothing is open.
        let mut end = start + 1;
        while end < lines.len() && !stacks[end].is_empty() {
            end += 1;
        }
        let block: String = lines[start..end].concat();
        let size = chars(&block);
        if builder.used + size <= builder.limit {
            builder.push(&block);
            start = end;
            continue;
        }
        if size <= builder.limit {
            // It fits a part of its own: start one rather than cut it.
            if !builder.content.is_empty() {
                builder.flush(&[]);
            }
            builder.push(&block);
            start = end;
            continue;
        }
        // It must be cut anyway: fill the current part first.
        for index in start..end {
            let (before, after) = (&stacks[index], &stacks[index + 1]);
            let mut rest = lines[index];
            loop {
                let closing = if after.is_empty() {
                    0
                } else {
                    chars(&closers(after)) + usize::from(!rest.ends_with('\n'))
                };
                if builder.used + chars(rest) + closing <= builder.limit {
                    builder.push(rest);
                    break;
                }
                if !builder.content.is_empty() {
                    builder.flush(before);
                    continue;
                }
                // Alone in a part and still too long: cut it.
                let room = builder
                    .limit
                    .saturating_sub(builder.used + 1 + chars(&closers(before)));
                let cut = cut_point(rest, room);
                let (head, tail) = rest.split_at(cut);
                builder.push(head);
                rest = tail;
                builder.flush(before);
                if rest.is_empty() {
                    break;
                }
            }
        }
        start = end;
    }
    if !builder.content.is_empty() || !builder.prefix.is_empty() || builder.parts.is_empty() {
        builder.parts.push(Part {
            prefix: builder.prefix,
            content: builder.content,
            suffix: String::new(),
        });
    }
    builder.parts
}

/// Splits Markdown into parts of at most `limit` characters without cutting a code fence or `<details>` block
/// open: see the module docs.
pub fn split(body: &str, limit: usize) -> Vec<String> {
    split_parts(body, limit).iter().map(Part::text).collect()
}

fn decorate(kind: &str, key: &str, part: usize, parts: usize, content: &str) -> String {
    let mut text = marker(kind, key, part, parts);
    text.push('\n');
    if parts > 1 {
        text.push_str(&format!("<sub>Part {part} of {parts}</sub>\n\n"));
    }
    text.push_str(content);
    text
}

/// The comment bodies of a report: split under `COMMENT_LIMIT`, each with its marker (and `Part i of n` when
/// there are several).
pub fn comment_bodies(kind: &str, key: &str, body: &str) -> Vec<String> {
    let overhead = chars(&decorate(kind, key, 9999, 9999, ""));
    let pieces = split(body, COMMENT_LIMIT - overhead);
    let count = pieces.len();
    pieces
        .iter()
        .enumerate()
        .map(|(index, piece)| decorate(kind, key, index + 1, count, piece))
        .collect()
}

/// One change to the comments of a pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Create { body: String },
    Update { id: u64, body: String },
    Delete { id: u64 },
}

/// What to do so that the pull request shows exactly `bodies` for `kind` and `key`: update the comment already
/// carrying part i (when its body differs), create missing parts in order, then delete parts left over from a
/// longer report and duplicates of a part. Comments without our marker for this kind and key are never touched.
pub fn plan_sync(existing: &[Comment], kind: &str, key: &str, bodies: &[String]) -> Vec<Op> {
    let mut by_part: BTreeMap<usize, &Comment> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for comment in existing {
        let Some(found) = parse_marker(&comment.body) else {
            continue;
        };
        if !found.is_for(kind, key) {
            continue;
        }
        match by_part.entry(found.part) {
            std::collections::btree_map::Entry::Occupied(_) => duplicates.push(comment.id),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(comment);
            }
        }
    }
    let mut ops = Vec::new();
    for (index, body) in bodies.iter().enumerate() {
        match by_part.remove(&(index + 1)) {
            Some(comment) if comment.body == *body => {}
            Some(comment) => ops.push(Op::Update {
                id: comment.id,
                body: body.clone(),
            }),
            None => ops.push(Op::Create { body: body.clone() }),
        }
    }
    ops.extend(
        by_part
            .values()
            .map(|comment| Op::Delete { id: comment.id }),
    );
    ops.extend(duplicates.into_iter().map(|id| Op::Delete { id }));
    ops
}

/// What `sync_sticky` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncSummary {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    /// Parts whose comment already said exactly this.
    pub unchanged: usize,
}

/// Makes pull request `number` show `body` (Markdown, already redacted) as the sticky comment of `kind` for `key`:
/// reads every comment, then creates, updates and deletes as `plan_sync` says. One call per environment, for
/// example `sync_sticky(&api, 42, "plan", "prod", &markdown)`.
pub async fn sync_sticky<A: GitHubApi>(
    api: &A,
    number: u64,
    kind: &str,
    key: &str,
    body: &str,
) -> Result<SyncSummary, GitHubError> {
    let bodies = comment_bodies(kind, key, body);
    let existing = api.list_comments(number).await?;
    let ops = plan_sync(&existing, kind, key, &bodies);
    let mut summary = SyncSummary::default();
    for op in &ops {
        match op {
            Op::Create { body } => {
                api.create_comment(number, body).await?;
                summary.created += 1;
            }
            Op::Update { id, body } => {
                api.update_comment(*id, body).await?;
                summary.updated += 1;
            }
            Op::Delete { id } => {
                api.delete_comment(*id).await?;
                summary.deleted += 1;
            }
        }
    }
    summary.unchanged = bodies.len() - summary.created - summary.updated;
    Ok(summary)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    /// Whether every fence and `<details>` block opened in `text` is closed in it.
    fn balanced(text: &str) -> bool {
        let mut stack = Vec::new();
        for line in text.split_inclusive('\n') {
            step(&mut stack, line);
        }
        stack.is_empty()
    }

    /// A small deterministic generator (xorshift), so the property tests need no extra crate and never flake.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, bound: u64) -> usize {
            (self.next() % bound) as usize
        }
    }

    fn text_line(random: &mut Random, long: bool) -> String {
        let words = [
            "drift",
            "`Bucket`",
            "| a | b |",
            "é",
            "→",
            "<br>",
            "😀",
            "x",
        ];
        let count = if long {
            2_000 + random.below(3_000)
        } else {
            random.below(12)
        };
        let mut line: String = (0..count)
            .map(|_| words[random.below(words.len() as u64)])
            .collect::<Vec<_>>()
            .join(" ");
        line.push('\n');
        line
    }

    fn block(random: &mut Random, depth: usize) -> String {
        match random.below(if depth >= 2 { 3 } else { 5 }) {
            0 => {
                let long = random.below(20) == 0;
                text_line(random, long)
            }
            1 => "\n".to_owned(),
            2 => {
                let fence = ["```", "````", "~~~"][random.below(3)];
                let mut text = format!("{fence}diff\n");
                for _ in 0..random.below(80) {
                    text.push_str(&text_line(random, false));
                }
                text.push_str(&format!("{fence}\n"));
                text
            }
            _ => {
                let mut text = format!("<details><summary>Resources {depth}</summary>\n\n");
                for _ in 0..random.below(10) {
                    text.push_str(&block(random, depth + 1));
                }
                text.push_str("\n</details>\n");
                text
            }
        }
    }

    fn document(seed: u64) -> String {
        let mut random = Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut text = String::from("## omrs-gitops plan\n\n");
        for _ in 0..random.below(60) {
            text.push_str(&block(&mut random, 0));
        }
        text
    }

    #[test]
    fn property_every_part_fits_is_balanced_and_the_contents_are_the_document() {
        for seed in 1..50 {
            let body = document(seed);
            for limit in [400, 1_000, 7_919, 65_000] {
                let parts = split_parts(&body, limit);
                let contents: String = parts.iter().map(|part| part.content.as_str()).collect();
                assert_eq!(
                    contents, body,
                    "seed {seed} limit {limit}: content preserved"
                );
                for (index, part) in parts.iter().enumerate() {
                    let text = part.text();
                    assert!(
                        chars(&text) <= limit,
                        "seed {seed} limit {limit} part {index}: {} characters",
                        chars(&text)
                    );
                    assert!(
                        balanced(&text),
                        "seed {seed} limit {limit} part {index} unbalanced:\n{text}"
                    );
                }
                if chars(&body) <= limit {
                    assert_eq!(parts.len(), 1);
                }
            }
        }
    }

    #[test]
    fn top_level_blocks_are_kept_whole_when_they_fit() {
        let first = format!("{}\n", "a".repeat(60));
        let fence = format!("```\n{}\n```\n", "b".repeat(60));
        let body = format!("{first}{fence}");
        let parts = split(&body, 80);
        assert_eq!(
            parts,
            vec![first, fence],
            "split between the blocks, nothing added"
        );
    }

    #[test]
    fn a_fence_larger_than_a_part_is_closed_and_reopened() {
        let lines: String = (0..50).map(|n| format!("line {n:03}\n")).collect();
        let body = format!("intro\n\n````diff\n{lines}````\n");
        let parts = split(&body, 120);
        assert!(parts.len() > 3);
        assert!(
            parts[0].starts_with("intro\n\n````diff\nline 000\n"),
            "{}",
            parts[0]
        );
        for (index, part) in parts.iter().enumerate() {
            assert!(balanced(part), "{part}");
            if index > 0 {
                assert!(
                    part.starts_with("````diff\n"),
                    "reopened with the same fence: {part}"
                );
            }
            if index + 1 < parts.len() {
                assert!(part.ends_with("\n````\n"), "closed: {part}");
            }
        }
    }

    #[test]
    fn a_details_block_larger_than_a_part_continues_with_its_summary() {
        let rows: String = (0..40)
            .map(|n| format!("| `R{n:03}` | changed |\n"))
            .collect();
        let body =
            format!("<details open><summary>40 resource changes</summary>\n\n{rows}\n</details>\n");
        let parts = split(&body, 200);
        assert!(parts.len() > 2);
        assert!(parts[1]
            .starts_with("<details open><summary>40 resource changes (continued)</summary>\n\n"));
        assert!(parts[0].ends_with("\n</details>\n"));
        assert!(parts.iter().all(|part| balanced(part)));
    }

    #[test]
    fn a_summary_on_the_line_after_the_tag_is_found() {
        let rows: String = (0..30).map(|n| format!("row {n}\n")).collect();
        let body = format!("<details>\n<summary>Template diff</summary>\n\n{rows}</details>\n");
        let parts = split(&body, 100);
        assert!(
            parts[1].starts_with("<details><summary>Template diff (continued)</summary>"),
            "{}",
            parts[1]
        );
    }

    #[test]
    fn a_huge_line_is_cut_as_the_last_resort() {
        let body = format!("```\n{}\n```\n", "x".repeat(1_000));
        let parts = split_parts(&body, 300);
        assert!(parts.len() >= 4);
        let contents: String = parts.iter().map(|part| part.content.as_str()).collect();
        assert_eq!(contents, body);
        for part in &parts {
            assert!(chars(&part.text()) <= 300);
            assert!(balanced(&part.text()));
        }
    }

    #[test]
    fn an_empty_report_is_one_empty_part() {
        assert_eq!(split("", 100), vec![String::new()]);
    }

    #[test]
    fn markers_round_trip_and_hostile_keys_cannot_break_them() {
        let text = marker("plan", "prod", 1, 2);
        assert_eq!(text, "<!-- omrs-gitops:plan:prod part 1/2 -->");
        let parsed = parse_marker(&format!("{text}\nbody")).unwrap();
        assert!(parsed.is_for("plan", "prod"));
        assert!(!parsed.is_for("plan", "prod2"));
        assert_eq!((parsed.part, parsed.parts), (1, 2));
        for hostile in [
            "a --> b",
            "x:y part 1/1",
            "--!>",
            "é",
            "a b\n<!--",
            "prod%2D",
        ] {
            let text = marker("plan", hostile, 1, 1);
            assert_eq!(text.matches("-->").count(), 1, "{text}");
            assert!(!text.contains('\n') && !text.contains("--!"), "{text}");
            let parsed = parse_marker(&text).unwrap();
            assert!(parsed.is_for("plan", hostile), "{hostile}");
        }
        assert_ne!(escape_key("prod-x"), escape_key("prod%2Dx"));
        let long = "e".repeat(500);
        let escaped = escape_key(&long);
        assert!(escaped.len() <= MAX_KEY);
        assert_ne!(escaped, escape_key(&"e".repeat(501)));
        assert!(parse_marker(&marker("plan", &long, 1, 1))
            .unwrap()
            .is_for("plan", &long));
        assert_eq!(
            parse_marker("> <!-- omrs-gitops:plan:prod part 1/1 -->"),
            None
        );
        assert_eq!(
            parse_marker("text\n<!-- omrs-gitops:plan:prod part 1/1 -->"),
            None
        );
        assert_eq!(
            parse_marker("<!-- omrs-gitops:plan:prod part 3/2 -->"),
            None
        );
        assert_eq!(
            parse_marker("<!-- omrs-gitops:plan:pr od part 1/1 -->"),
            None
        );
    }

    fn comment(id: u64, body: &str) -> Comment {
        Comment {
            id,
            body: body.to_owned(),
            author: Some("github-actions[bot]".to_owned()),
        }
    }

    #[test]
    fn sync_plan_updates_creates_and_deletes_only_our_parts() {
        let new = comment_bodies("plan", "prod", "## prod\n\nno changes\n");
        assert_eq!(new.len(), 1);
        // Nothing yet: create.
        assert_eq!(
            plan_sync(&[comment(1, "LGTM")], "plan", "prod", &new),
            vec![Op::Create {
                body: new[0].clone()
            }]
        );
        let old_two = [
            comment(1, "LGTM"),
            comment(2, &format!("{}\nold part 1", marker("plan", "prod", 1, 2))),
            comment(3, &format!("{}\nstaging", marker("plan", "staging", 1, 1))),
            comment(4, &format!("{}\nold part 2", marker("plan", "prod", 2, 2))),
            comment(
                5,
                &format!("> {}\nquoted by a reviewer", marker("plan", "prod", 1, 1)),
            ),
            comment(6, &format!("{}\ndrift", marker("drift", "prod", 1, 1))),
        ];
        assert_eq!(
            plan_sync(&old_two, "plan", "prod", &new),
            vec![
                Op::Update {
                    id: 2,
                    body: new[0].clone()
                },
                Op::Delete { id: 4 }
            ],
            "the shrunk report deletes its leftover part and touches nothing else"
        );
        // Unchanged: nothing to do.
        assert_eq!(
            plan_sync(&[comment(9, &new[0])], "plan", "prod", &new),
            vec![]
        );
        // A duplicate of a part (two runs raced) is deleted.
        assert_eq!(
            plan_sync(
                &[comment(9, &new[0]), comment(10, &new[0])],
                "plan",
                "prod",
                &new
            ),
            vec![Op::Delete { id: 10 }]
        );
    }

    #[test]
    fn long_reports_become_numbered_parts_under_the_limit() {
        let rows: String = (0..4_000)
            .map(|n| format!("| `Resource{n:05}` | Modify | AWS::S3::Bucket |\n"))
            .collect();
        let body =
            format!("## prod\n\n<details><summary>Changes</summary>\n\n{rows}\n</details>\n");
        let bodies = comment_bodies("plan", "prod", &body);
        let count = bodies.len();
        assert!(count >= 3, "{count}");
        for (index, text) in bodies.iter().enumerate() {
            assert!(chars(text) <= COMMENT_LIMIT);
            assert!(text.starts_with(&format!(
                "{}\n<sub>Part {} of {count}</sub>\n\n",
                marker("plan", "prod", index + 1, count),
                index + 1
            )));
            assert!(balanced(text));
        }
    }
}
