#!/usr/bin/env node
// GraphQL-over-HTTP conformance audit, using graphql-http's `serverAudits`.
//
//   node audit.mjs http://127.0.0.1:PORT/graphql
//
// Prints one line per audit (PASS / FAIL / WARN), a summary per requirement
// level, and finally `audit: N passed, M failed` counting MUST audits only.
// Exit code: 1 if any MUST audit failed, 0 otherwise, 2 on bad usage.
//
// Levels come from the audit name's first word (graphql-http does the same in
// lib/audits/utils: names start with "MUST", "SHOULD" or "MAY"; a failing MUST
// gets status 'error', SHOULD 'warn', MAY 'notice').
// Env: AUDIT_TIMEOUT_MS (per request, default 10000).

import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url || !/^https?:\/\//.test(url)) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}

const timeoutMs = Number(process.env.AUDIT_TIMEOUT_MS) || 10000;
const fetchFn = (input, init = {}) =>
  fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });

function levelOf(name) {
  const word = name.split(' ', 1)[0];
  return word === 'MUST' || word === 'SHOULD' ? word : 'MAY';
}

async function describeResponse(res) {
  if (!res || typeof res.status !== 'number') return '';
  let out = ` [got ${res.status}, content-type: ${res.headers.get('content-type') ?? '(none)'}`;
  try {
    if (!res.bodyUsed) {
      const text = (await res.text()).replace(/\s+/g, ' ').trim();
      if (text) out += `, body: ${text.length > 200 ? text.slice(0, 200) + '...' : text}`;
    }
  } catch {
    // body unreadable; status and headers are enough
  }
  return out + ']';
}

const counts = {
  MUST: { passed: 0, failed: 0 },
  SHOULD: { passed: 0, failed: 0 },
  MAY: { passed: 0, failed: 0 },
};

const audits = serverAudits({ url, fetchFn });

// Run one at a time so log lines come out in the library's order and the
// server sees a calm, bounded sequence of requests.
for (const { id, name, fn } of audits) {
  const level = levelOf(name);
  let result;
  try {
    result = await fn();
  } catch (err) {
    // graphql-http rethrows anything that is not an assertion failure
    // (connection refused, timeout, ...): count it as a failure.
    result = { id, name, status: 'error', reason: `fatal: ${err?.cause?.code ?? err?.message ?? err}` };
  }
  if (result.status === 'ok') {
    counts[level].passed++;
    console.log(`PASS ${id} ${name}`);
  } else {
    counts[level].failed++;
    const tag = level === 'MUST' ? 'FAIL' : 'WARN';
    console.log(`${tag} ${id} ${name}: ${result.reason}${await describeResponse(result.response)}`);
  }
}

console.log('');
for (const level of ['MUST', 'SHOULD', 'MAY']) {
  const { passed, failed } = counts[level];
  console.log(`${level.padEnd(6)} ${passed}/${passed + failed} passed (${failed} not passed)`);
}
console.log(`audit: ${counts.MUST.passed} passed, ${counts.MUST.failed} failed`);
process.exit(counts.MUST.failed > 0 ? 1 : 0);
