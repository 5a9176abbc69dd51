import type { TestServer } from './harness.js';
import { dateMatches, expectSearch, P, periodSpan, searchAll, span, startCorpusServer, type Corpus, type Expected, type Res } from './corpus.js';

// Date search over the real corpora in ../shared/data (Synthea, HL7 PHD IG and R4
// examples, loaded once per run by corpus.ts). Expected answers come from the data files and the R4
// search rules (search.html), never from the server: ids listed by hand (found with jq over the
// files), or a count found the same way with the filter that states the rule, which the test runs
// over the in-memory view of what was loaded.

let srv: TestServer;
let corpus: Corpus;
beforeAll(async () => ({ srv, corpus } = await startCorpusServer()), 900_000);
afterAll(async () => srv?.stop());

const check = (type: string, query: string, expected: Expected) => expectSearch(srv, corpus, type, query, expected);
const q = encodeURIComponent;

describe('dates', () => {
  /** A filter: the resource's range for a date parameter satisfies prefix+value. */
  const on = (pv: string, range: (r: Res) => [number, number] | undefined) => (r: Res) => {
    const [, prefix = 'eq', value] = /^(eq|ne|gt|lt|ge|le|sa|eb)?(.+)$/.exec(pv) as string[];
    const t = range(r);
    return !!t && dateMatches(prefix, span(value), t);
  };
  const birth = (r: Res) => (r.birthDate ? span(r.birthDate) : undefined);
  const encounter = (r: Res) => periodSpan(r.period);
  const onset = (r: Res) => (r.onsetDateTime ? span(r.onsetDateTime) : periodSpan(r.onsetPeriod));
  const given = (r: Res) => (r.occurrenceDateTime ? span(r.occurrenceDateTime) : undefined);

  test.each<[string, string, Expected]>([
    ['Patient', 'birthdate=1927', [P.medhurst, P.upton, P.johnson]],
    ['Patient', 'birthdate=1927-05', [P.medhurst, P.upton, P.johnson]],
    ['Patient', 'birthdate=1927-05-21', [P.medhurst, P.upton, P.johnson]],
    ['Patient', 'birthdate=1960', [P.cole, P.streich]],
    ['Patient', 'birthdate=1970', []],
    ['Patient', 'birthdate=1970-01', []],
    ['Patient', 'birthdate=lt1960', [P.medhurst, P.upton, P.johnson]],
    ['Patient', 'birthdate=le1960-04-13', [P.medhurst, P.upton, P.johnson, P.cole, P.streich]],
    ['Patient', 'birthdate=gt2002', [P.schmitt, P.shanahan]],
    ['Patient', 'birthdate=ge2002', [P.schmitt, P.shanahan, P.okeefe]],
    ['Patient', 'birthdate=sa2002', [P.schmitt, P.shanahan]],
    ['Patient', 'birthdate=eb1960', [P.medhurst, P.upton, P.johnson]],
    // ne: every birth date outside 1927; a patient without one has nothing to compare
    ['Patient', 'birthdate=ne1927', { n: 11, where: on('ne1927', birth) }],
    ['Patient', 'birthdate=ge1974-12-25&birthdate=lt1974-12-26', ['example']],
    // ap: the nearest other birth date is 33 years away, beyond any approximation
    ['Patient', 'birthdate=ap1927-05-21', [P.medhurst, P.upton, P.johnson]],
    // a dateTime with a zone against a day: 1989-05-09T20:35:22-04:00 is 1989-05-10T00:35:22Z
    ['Patient', 'death-date=1989', [P.medhurst]],
    ['Patient', 'death-date=1989-05-09', []],
    ['Patient', 'death-date=1989-05-10', [P.medhurst]],
    ['Patient', 'death-date=1994-11-12', [P.upton]],
    // Encounter.period: the whole period must fall in the search range for eq (jq over period.start/end)
    ['Encounter', 'date=1985', { n: 64, where: on('1985', encounter) }],
    ['Encounter', 'date=1985-12', { n: 11, where: on('1985-12', encounter) }],
    ['Encounter', 'date=ne1985', { n: 1151, where: on('ne1985', encounter) }],
    ['Encounter', 'date=gt1985', { n: 933, where: on('gt1985', encounter) }],
    ['Encounter', 'date=ge1985', { n: 997, where: on('ge1985', encounter) }],
    ['Encounter', 'date=lt1985', { n: 218, where: on('lt1985', encounter) }],
    ['Encounter', 'date=le1985', { n: 282, where: on('le1985', encounter) }],
    ['Encounter', 'date=sa1985', { n: 933, where: on('sa1985', encounter) }],
    ['Encounter', 'date=eb1985', { n: 218, where: on('eb1985', encounter) }],
    ['Encounter', 'date=sa2022-12-31', { n: 9, where: on('sa2022-12-31', encounter) }],
    // 1989-12-16T22:58:16-05:00 .. 23:41:10-05:00 is on 1989-12-17 in UTC
    ['Encounter', `date=1989-12-16&subject=Patient/${P.upton}`, []],
    ['Encounter', `date=1989-12-17&subject=Patient/${P.upton}`, ['00d2903a-e2d6-20e6-df87-52bb6477f24f']],
    ['Encounter', `date=${q('ge1989-12-17T03:58:16Z')}&date=${q('le1989-12-17T04:41:10Z')}`, ['00d2903a-e2d6-20e6-df87-52bb6477f24f']],
    // a 43-minute period is not inside its first second
    ['Encounter', `date=${q('1989-12-16T22:58:16-05:00')}`, []],
    ['Condition', 'onset-date=2014', { n: 20, where: on('2014', onset) }],
    ['Condition', 'onset-date=2014-05', { n: 6, where: on('2014-05', onset) }],
    ['Condition', 'onset-date=ge2020', { n: 74, where: on('ge2020', onset) }],
    ['Condition', 'onset-date=lt1950', { n: 14, where: on('lt1950', onset) }],
    ['Condition', 'onset-date=sa2021-12-31', { n: 16, where: on('sa2021-12-31', onset) }],
    ['Condition', 'onset-date=ne2014', { n: 536, where: on('ne2014', onset) }],
    // condition-example.json has onset 2012-05-24 (day precision): le takes it, lt does not
    ['Condition', 'onset-date=le2012-05-24', { n: 389, where: on('le2012-05-24', onset) }],
    ['Condition', 'onset-date=2012-05-24', ['example']],
    // 1976-01-19T22:58:16-05:00 is 1976-01-20 in UTC
    ['Condition', 'onset-date=1976-01-19', []],
    ['Condition', 'onset-date=1976-01-20', ['0023b3a7-2ded-840c-ee5b-6b123fdcfb0b']],
    // :missing on date parameters: encounter-example.json has no period; 107 Synthea Conditions
    // and condition-example.json have no abatement
    ['Encounter', 'date:missing=true', ['example']],
    ['Condition', 'abatement-date:missing=true', { n: 108, where: (r) => !r.abatementDateTime && !r.abatementPeriod && !r.abatementAge && !r.abatementString }],
    ['Condition', 'abatement-date:missing=false', { n: 448, where: (r) => !!r.abatementDateTime }],
    // _has with a date: the 14 Conditions before 1950 belong to the three women born in 1927
    ['Patient', '_has:Condition:subject:onset-date=lt1950', [P.medhurst, P.upton, P.johnson]],
    ['Immunization', 'date=2021', { n: 27, where: on('2021', given) }],
    ['Immunization', 'date=ge2021-01-01', { n: 39, where: on('ge2021-01-01', given) }],
    ['Immunization', 'date=lt2013', { n: 31, where: on('lt2013', given) }],
    ['Immunization', 'date=le2013-01-10', { n: 32, where: on('le2013-01-10', given) }],
    ['Immunization', 'date=gt2013-01-10', { n: 130, where: on('gt2013-01-10', given) }],
    ['Immunization', 'date=1991-10-12', []],
    ['Immunization', 'date=1991-10-13', ['0605ca24-05de-75c3-fed7-f20a8b9a94b1']],
    // two immunizations given in the same second, searched in its own zone, in UTC and by day
    ['Immunization', `date=${q('2014-08-19T01:16:46-04:00')}`, { n: 2, where: (r) => r.occurrenceDateTime === '2014-08-19T01:16:46-04:00' }],
    ['Immunization', `date=${q('2014-08-19T05:16:46Z')}`, { n: 2, where: (r) => r.occurrenceDateTime === '2014-08-19T01:16:46-04:00' }],
    ['Immunization', 'date=2014-08-19', { n: 2, where: (r) => r.occurrenceDateTime === '2014-08-19T01:16:46-04:00' }],
  ])('%s?%s', async (type, query, expected) => check(type, query, expected));

  test('ap on Encounter.date keeps every same-day encounter and nothing a year away', async () => {
    // ap is "approximately" (R4 leaves the margin to the server); 1987-10-04 is mid-way through
    // the busiest years, so same-day encounters must come back and none from another year
    const found = await searchAll(srv, 'Encounter?date=ap1987-10-04&_count=500');
    const day = corpus.of('Encounter').filter(on('1987-10-04', encounter)).map((r) => r.id);
    expect(day.length).toBeGreaterThan(0);
    const ids = found.matches.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(day));
    for (const r of found.matches) expect(on('1987', encounter)(r)).toBe(true);
  });
});
