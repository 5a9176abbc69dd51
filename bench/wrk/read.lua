-- GET Observation/[id] for ids read from the file named by BENCH_IDS.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end

request = function()
  return wrk.format("GET", "/fhir/Observation/" .. ids[math.random(#ids)])
end
