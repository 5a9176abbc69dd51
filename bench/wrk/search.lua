-- One patient's heart rate over one day: subject + code + date range.
request = function()
  local day = math.random(1, 27)
  local path = string.format(
    "/fhir/Observation?subject=Patient/bench-%d&code=http://loinc.org%%7C8867-4&date=ge2026-01-%02d&date=lt2026-01-%02d&_count=50",
    math.random(0, 99), day, day + 1)
  return wrk.format("GET", path)
end
