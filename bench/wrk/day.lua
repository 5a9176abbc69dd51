-- One patient's heart rate over one day of the generated year: subject + code + date range.
local patients = tonumber(os.getenv("BENCH_PATIENTS"))
local days = tonumber(os.getenv("BENCH_DAYS"))
local first = tonumber(os.getenv("BENCH_FIRST_DAY"))
request = function()
  local day = first + math.random(0, days - 1) * 86400
  local path = string.format(
    "/fhir/Observation?subject=Patient/bench-%04d&code=http://loinc.org%%7C8867-4&date=ge%s&date=lt%s",
    math.random(1, patients), os.date("!%Y-%m-%d", day), os.date("!%Y-%m-%d", day + 86400))
  return wrk.format("GET", path)
end
