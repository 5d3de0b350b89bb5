# What the benchmark kit (benches/bench.sh) and the soak (tests/reliability/soak.sh) share,
# sourced by both. They set: bin (the boucle binary), py (a python3), work (a folder), pids (an
# array of the servers started), fleet and chunk (containers to prepare, and a request's
# share), and a function `figure NAME VALUE` that keeps a figure.

wait_up() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer at $1" >&2; exit 1; }
calc() { awk "BEGIN {printf \"%.3f\", $1}"; }

# boucle_loop NAME URL PORT: a loop with a coordinator, a producer, a shop, a washer, a type
# and $fleet containers filled at the producer and delivered to the shop, ready to be returned.
boucle_loop() {
  local name=$1 url=$2 port=$3
  export DATABASE_URL=$url BIND_ADDR=127.0.0.1:$port RUST_LOG=warn
  echo 'bench passphrase' | "$bin" user add --email "bench@$name.test" --role coordinator --password-stdin >/dev/null 2>&1
  TOKEN=$("$bin" token create --email "bench@$name.test" --name bench)
  local start=$(date +%s.%N)
  "$bin" serve 2>"$work/$name.log" &
  pids+=($!)
  wait_up "http://127.0.0.1:$port/api/v1/health"
  figure "$name.startup" "$(calc "$(date +%s.%N) - $start")"
  api=http://127.0.0.1:$port/api/v1
  post() { curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$2" "$api$1"; }
  id() { $py -c 'import sys,json; print(json.load(sys.stdin)["id"])'; }
  PRODUCER=$(post /sites '{"name":"Laiterie","kind":"producer","lat":48.08,"lon":-1.49}' | id)
  SHOP=$(post /sites '{"name":"Epicerie","kind":"shop","lat":48.11,"lon":-1.68}' | id)
  WASHER=$(post /sites '{"name":"Laverie","kind":"washer","lat":48.05,"lon":-1.60}' | id)
  TYPE=$(post /container-types '{"name":"Bocal 370 ml","material":"glass","tare_mass_g":210,"single_use_mass_g":25}' | id)
  codes=$work/$name.codes
  : >"$codes"
  local t0=$(date +%s.%N) n=0
  while [ $n -lt $fleet ]; do
    post /containers "{\"type_id\":\"$TYPE\",\"site_id\":\"$PRODUCER\",\"count\":$chunk}" >"$work/c.json"
    $py - "$work/c.json" "$PRODUCER" "$SHOP" >"$work/prep.sh" <<'EOF'
import json, sys
codes = [c["code"] for c in json.load(open(sys.argv[1]))["containers"]]
for i in range(0, len(codes), 1000):
    scans = [{"code": c, "action": "fill", "site_id": sys.argv[2]} for c in codes[i:i + 1000]]
    open(f"{sys.argv[1]}.fill{i}", "w").write(json.dumps({"scans": scans}))
open(f"{sys.argv[1]}.ship", "w").write(json.dumps({"from_site_id": sys.argv[2], "to_site_id": sys.argv[3], "codes": codes}))
print("\n".join(codes))
EOF
    for f in "$work"/c.json.fill*; do post /scans "@$f" >/dev/null; rm "$f"; done
    ship=$(post /shipments "@$work/c.json.ship" | id)
    post "/shipments/$ship/receive" '{}' >/dev/null
    cat "$work/prep.sh" >>"$codes"
    n=$((n + chunk))
  done
  echo "  $fleet containers commissioned, filled and delivered in $(calc "$(date +%s.%N) - $t0") s"
}

