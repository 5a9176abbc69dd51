-- POST a heart-rate Observation for one of 100 patients at a random minute of January 2026.
local profile = os.getenv("BENCH_PROFILE") == "1"
local meta = profile and '"meta":{"profile":["http://hl7.org/fhir/StructureDefinition/heartrate"]},' or ''
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/fhir+json"
wrk.headers["Prefer"] = "return=minimal"

function observation()
  local day = math.random(1, 28)
  local t = string.format("2026-01-%02dT%02d:%02d:00Z", day, math.random(0, 23), math.random(0, 59))
  return '{"resourceType":"Observation",' .. meta .. '"status":"final",' ..
    '"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],' ..
    '"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},' ..
    '"subject":{"reference":"Patient/bench-' .. math.random(0, 99) .. '"},"effectiveDateTime":"' .. t .. '",' ..
    '"valueQuantity":{"value":' .. math.random(50, 110) .. ',"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}'
end

request = function()
  return wrk.format("POST", "/fhir/Observation", nil, observation())
end
