#!/usr/bin/env bash
# Runs examples/tiered-proxy (memory tiered over Redis, on hyper) against a
# real redis-server and a stub upstream that counts its requests, and checks
# hits and misses: a 200 is fetched once and then served from the cache, a
# 404 is never cached, and a second proxy process (empty memory) answers
# from Redis without asking the upstream. Part of scripts/test.sh.
set -euo pipefail
source "$(dirname "$0")/env.sh"

cargo build --quiet --example tiered-proxy --features tokio
proxy_bin="${CARGO_TARGET_DIR:-target}/debug/examples/tiered-proxy"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# Waits until $1 (a file) has a line matching $2.
wait_for_line() {
  for _ in $(seq 1 200); do
    if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "timed out waiting for '$2' in $1:" >&2
  cat "$1" >&2
  exit 1
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
wait_for_line "$work/redis.log" "Ready to accept connections"

# The upstream: /hello is a 200 whose body counts the requests, anything
# else a 404; /__count says how many requests it served.
node -e '
  let served = 0;
  const server = require("http").createServer((req, res) => {
    if (req.url === "/__count") return res.end(String(served));
    served += 1;
    if (req.url === "/hello") return res.end(`hello #${served}\n`);
    res.statusCode = 404;
    res.end("not here\n");
  });
  server.listen(0, "127.0.0.1", () => console.log(`upstream ${server.address().port}`));
' >"$work/upstream.log" 2>&1 &
pids+=($!)
wait_for_line "$work/upstream.log" "^upstream "
upstream_port=$(awk '/^upstream / { print $2 }' "$work/upstream.log")

start_proxy() { # $1: name; sets $port
  port=$(free_port)
  "$proxy_bin" "127.0.0.1:$port" "http://127.0.0.1:$upstream_port" "redis://127.0.0.1:$redis_port" >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_for_line "$work/$1.log" "^listening on "
}

# "status x-cache body" of GET $1.
get() {
  curl -s -D "$work/headers" -o "$work/body" "$1"
  local status cache
  status=$(awk 'NR == 1 { print $2 }' "$work/headers")
  cache=$(tr -d '\r' <"$work/headers" | awk -F': ' 'tolower($1) == "x-cache" { print $2 }')
  echo "$status $cache $(tr -d '\n' <"$work/body")"
}

expect() { # $1: what, $2: got, $3: expected
  if [ "$2" != "$3" ]; then
    echo "tiered-proxy: $1: got '$2', expected '$3'" >&2
    exit 1
  fi
  echo "ok - $1: $2"
}

upstream_count() { curl -s "http://127.0.0.1:$upstream_port/__count"; }

start_proxy a
a=$port
expect "first GET /hello" "$(get "http://127.0.0.1:$a/hello")" "200 miss hello #1"
expect "second GET /hello" "$(get "http://127.0.0.1:$a/hello")" "200 hit hello #1"
expect "GET /missing" "$(get "http://127.0.0.1:$a/missing")" "404 miss not here"
expect "GET /missing again (a 404 is not cached)" "$(get "http://127.0.0.1:$a/missing")" "404 miss not here"
expect "upstream requests" "$(upstream_count)" "3"

start_proxy b
b=$port
expect "GET /hello from a second process (from Redis)" "$(get "http://127.0.0.1:$b/hello")" "200 hit hello #1"
expect "upstream requests after the second process" "$(upstream_count)" "3"

expect "first process's stats" "$(curl -s "http://127.0.0.1:$a/__stats")" '{"hits":1,"misses":3}'
expect "second process's stats" "$(curl -s "http://127.0.0.1:$b/__stats")" '{"hits":1,"misses":0}'
