-- The newest vital sign of each kind for one patient.
local patients = tonumber(os.getenv("BENCH_PATIENTS"))
request = function()
  return wrk.format("GET", string.format("/fhir/Observation/$lastn?patient=bench-%04d&category=vital-signs", math.random(1, patients)))
end
