-- GET with the API key (env FLOWPOINT_KEY).
wrk.headers["X-Flowpoint-Key"] = os.getenv("FLOWPOINT_KEY")
dofile(os.getenv("BENCH_LUA") .. "/report.lua")
