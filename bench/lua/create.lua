-- POST /api/v1/invoices/create: the body from env BENCH_BODY, its document number made unique per request.
local body = os.getenv("BENCH_BODY")
local prefix = os.getenv("BENCH_PREFIX") or "WRK"
local counter = 0
local next_thread = 0
thread_id = 0  -- a global: setup() sets it in each thread

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function request()
  counter = counter + 1
  local number = string.format("%s-%d-%d", prefix, thread_id, counter)
  local headers = {["X-Flowpoint-Key"] = os.getenv("FLOWPOINT_KEY"), ["Content-Type"] = "application/json"}
  return wrk.format("POST", nil, headers, (body:gsub("__NUMBER__", number)))
end

dofile(os.getenv("BENCH_LUA") .. "/report.lua")
