// The workshops the browser tests run against, written fresh for every run with claim
// windows relative to now, so no test expires on a calendar date.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DAY = 86_400_000;

/** `2026-11-27T18:00:00Z`: UTC without milliseconds, as workshop files take it. */
export function utc(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// Every workshop here has `key_pool: 0`: the browser tests inject OpenRouter faults into
// claims (an unbound key, an outage) and expect each claim to mint its own key. The warm
// pool is tested by the Rust tests (server/tests/api/pool.rs).
/** Writes the test workshops into `dir` (created) and returns the windows used. */
export function writeWorkshops(dir, now = Date.now()) {
  mkdirSync(dir, { recursive: true });
  const open = { opens: new Date(now - DAY), closes: new Date(now + 30 * DAY) };
  const upcoming = { opens: new Date(now + 30 * DAY), closes: new Date(now + 30 * DAY + 8 * 3_600_000) };
  writeFileSync(join(dir, 'open-now.yaml'), `title: Agents on DuckDB (demo)
description: >
  Build a small analytics agent that answers questions over a DuckDB file.
  Bring a laptop with Python 3.11 or newer.
timezone: Europe/Berlin
claims_open_at: ${utc(open.opens)}
claims_close_at: ${utc(open.closes)}
key_limit_usd: 2.00
limit_usd: 300
max_attendees: 150
allowed_models: [openai/gpt-5-nano, anthropic/claude-sonnet-4.6]
admins: [organiser@example.com]
key_pool: 0
`);
  writeFileSync(join(dir, 'upcoming.yaml'), `title: RAG from scratch
description: Retrieval-augmented generation without a framework, in two hours.
timezone: America/New_York
claims_open_at: ${utc(upcoming.opens)}
claims_close_at: ${utc(upcoming.closes)}
key_limit_usd: 1.50
limit_usd: 120
allowed_models: [openai/gpt-5-mini, google/gemini-2.5-flash]
admins: [host@example.org]
allowed_email_domains: [example.org, example.com]
key_pool: 0
`);
  const plain = (title, extra) => `title: ${title}
timezone: Europe/Berlin
claims_open_at: ${utc(open.opens)}
claims_close_at: ${utc(open.closes)}
key_limit_usd: 1
limit_usd: 100
allowed_models: [openai/gpt-5-nano]
admins: [organiser@example.com]
key_pool: 0
${extra}`;
  // One place: the second attendee finds it sold out.
  writeFileSync(join(dir, 'one-seat.yaml'), plain('One seat', 'max_attendees: 1\n'));
  // A budget for one key: the second attendee finds the budget used up.
  writeFileSync(join(dir, 'one-budget.yaml'), plain('One budget', '').replace('limit_usd: 100', 'limit_usd: 1'));
  // Staff only: anyone else is told which addresses it takes.
  writeFileSync(join(dir, 'staff-only.yaml'), plain('Staff only', 'allowed_email_domains: [staff.example.org]\n'));
  // Asks the optional marketing question next to the claim.
  writeFileSync(join(dir, 'with-news.yaml'), plain('With news', 'marketing_opt_in_text: Send me news about future workshops.\n'));
  // The organiser's page (issue 12): its own workshop, so its figures count only its test.
  writeFileSync(join(dir, 'admin-room.yaml'), plain('Admin room', 'marketing_opt_in_text: Send me news about future workshops.\n'));
  // Topping up (issue 21): two $1 keys in a $4.50 cap, at most $3 per key.
  writeFileSync(join(dir, 'top-up-room.yaml'), plain('Top-up room', 'max_key_limit_usd: 3\n').replace('limit_usd: 100', 'limit_usd: 4.5'));
  return { open, upcoming };
}
