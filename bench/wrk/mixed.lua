-- Alternate a create (as create.lua) and a read (as read.lua).
dofile(os.getenv("BENCH_LUA_DIR") .. "/create.lua")
local create = request
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local n = 0

request = function()
  n = n + 1
  if n % 2 == 0 then return create() end
  return wrk.format("GET", "/fhir/Observation/" .. ids[math.random(#ids)], {})
end
