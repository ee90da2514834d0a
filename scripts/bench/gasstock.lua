-- wrk script for scripts/bench.sh: one file, the scenario chosen by BENCH_SCENARIO.
--
--   healthz | readyz          GET without a token (the ceilings: no database / one SELECT 1)
--   browse                    GET /api/v1/gas?brand=&weight=&location= (random seeded values;
--                             `gasstock seed` holds every combination, so filters match)
--   browse_nomatch            the same with a location nobody sells in (an empty page)
--   browse_near               GET /api/v1/gas?brand=&weight=&near=<district> (every location,
--                             nearest first: the statement scores each matching item's distance)
--   browse_rating             GET /api/v1/gas?brand=&weight=&sort=rating (best-rated sellers first)
--   browse_first, browse_deep GET /api/v1/gas?page=1 | page=BENCH_DEEP_PAGE (unfiltered)
--   order_spread              POST /api/v1/orders on a random item in 1..BENCH_ITEMS
--   order_hot                 POST /api/v1/orders on item BENCH_HOT_ITEM
--   mixed                     90% browse, 8% order_spread, 2% admin approve of a pending order
--   login                     POST /api/v1/login (argon2) for the seeded buyers
--
-- Tokens come from BENCH_TOKENS (comma-separated buyer tokens) and BENCH_ADMIN_TOKEN. Each
-- thread counts the HTTP statuses it sees (when BENCH_STATUSES=1) and done() prints one line:
--   RESULT <req/s> <p50 ms> <p99 ms> <non-2xx> <socket errors> <201s> <409s> <requests>

local scenario = os.getenv("BENCH_SCENARIO") or "healthz"
local brands = { "Jibu", "Total", "Oryx", "Kobil", "SP", "Meru", "Hashi" }
local weights = { "3", "6", "12", "13", "15", "50" }
local locations = { "Nyarugenge", "Gasabo", "Kicukiro", "Nyanza", "Gisagara", "Nyaruguru", "Huye", "Nyamagabe",
  "Ruhango", "Muhanga", "Kamonyi", "Karongi", "Rutsiro", "Rubavu", "Nyabihu", "Ngororero", "Rusizi", "Nyamasheke",
  "Rulindo", "Gakenke", "Musanze", "Burera", "Gicumbi", "Rwamagana", "Nyagatare", "Gatsibo", "Kayonza", "Kirehe",
  "Ngoma", "Bugesera" }

local function split(text, sep)
  local out = {}
  for part in string.gmatch(text or "", "[^" .. sep .. "]+") do
    out[#out + 1] = part
  end
  return out
end

-- main state: one entry per thread, so that done() can add up their counters.
local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
  thread:set("thread_total", tonumber(os.getenv("BENCH_THREADS") or "2"))
  threads[#threads + 1] = thread
end

-- thread state
local tokens, admin, items, hot_item, deep_page, pending, next_pending, buyers, password
statuses = {}

function init(args)
  math.randomseed(os.time() * 1000 + (thread_index or 1))
  tokens = split(os.getenv("BENCH_TOKENS"), ",")
  admin = os.getenv("BENCH_ADMIN_TOKEN")
  items = tonumber(os.getenv("BENCH_ITEMS") or "1")
  hot_item = os.getenv("BENCH_HOT_ITEM") or "1"
  deep_page = os.getenv("BENCH_DEEP_PAGE") or "2000"
  buyers = split(os.getenv("BENCH_BUYERS"), ",")
  password = os.getenv("BENCH_PASSWORD") or ""
  -- Pending order ids for the approvals of the mixed workload: each thread takes every
  -- thread_total-th id, so that no two approvals hit the same order.
  pending = {}
  next_pending = 1
  local file = os.getenv("BENCH_PENDING_FILE")
  if file and file ~= "" then
    local n = 0
    for line in io.lines(file) do
      n = n + 1
      if (n - 1) % thread_total == thread_index - 1 then
        pending[#pending + 1] = line
      end
    end
  end
end

local function auth(token)
  return { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

local function buyer_token()
  return tokens[math.random(#tokens)]
end

local function browse()
  local path = string.format("/api/v1/gas?brand=%s&weight=%s&location=%s&per_page=20",
    brands[math.random(#brands)], weights[math.random(#weights)], locations[math.random(#locations)])
  return wrk.format("GET", path, auth(buyer_token()))
end

local function browse_near()
  local path = string.format("/api/v1/gas?brand=%s&weight=%s&near=%s&per_page=20",
    brands[math.random(#brands)], weights[math.random(#weights)], locations[math.random(#locations)])
  return wrk.format("GET", path, auth(buyer_token()))
end

local function browse_rating()
  local path = string.format("/api/v1/gas?brand=%s&weight=%s&sort=rating&per_page=20",
    brands[math.random(#brands)], weights[math.random(#weights)])
  return wrk.format("GET", path, auth(buyer_token()))
end

local function browse_nomatch()
  local path = string.format("/api/v1/gas?brand=%s&weight=%s&location=Atlantis&per_page=20",
    brands[math.random(#brands)], weights[math.random(#weights)])
  return wrk.format("GET", path, auth(buyer_token()))
end

local function order(item)
  local body = string.format('{"inventory_id": %s, "quantity": %d}', item, math.random(2))
  return wrk.format("POST", "/api/v1/orders", auth(buyer_token()), body)
end

local function approve()
  local id = pending[next_pending]
  if id == nil then
    return browse() -- out of pending orders: keep the mix going with a read
  end
  next_pending = next_pending + 1
  return wrk.format("PATCH", "/api/v1/admin/orders/" .. id .. "/approve", auth(admin), '{"approve": true}')
end

function request()
  if scenario == "healthz" then
    return wrk.format("GET", "/healthz")
  elseif scenario == "readyz" then
    return wrk.format("GET", "/readyz")
  elseif scenario == "browse" then
    return browse()
  elseif scenario == "browse_nomatch" then
    return browse_nomatch()
  elseif scenario == "browse_near" then
    return browse_near()
  elseif scenario == "browse_rating" then
    return browse_rating()
  elseif scenario == "browse_first" then
    return wrk.format("GET", "/api/v1/gas?page=1&per_page=20", auth(buyer_token()))
  elseif scenario == "browse_deep" then
    return wrk.format("GET", "/api/v1/gas?page=" .. deep_page .. "&per_page=20", auth(buyer_token()))
  elseif scenario == "order_spread" then
    return order(tostring(math.random(items)))
  elseif scenario == "order_hot" then
    return order(hot_item)
  elseif scenario == "mixed" then
    local dice = math.random(100)
    if dice <= 90 then
      return browse()
    elseif dice <= 98 then
      return order(tostring(math.random(items)))
    else
      return approve()
    end
  elseif scenario == "login" then
    local body = string.format('{"email": "%s", "password": "%s"}', buyers[math.random(#buyers)], password)
    return wrk.format("POST", "/api/v1/login", { ["Content-Type"] = "application/json" }, body)
  end
  error("unknown BENCH_SCENARIO " .. scenario)
end

if os.getenv("BENCH_STATUSES") == "1" then
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local created, conflicts = 0, 0
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses") or {}
    created = created + (counts[201] or 0)
    conflicts = conflicts + (counts[409] or 0)
  end
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d %d %d %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, socket, created, conflicts, summary.requests))
end
