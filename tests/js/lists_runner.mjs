// Prints, as JSON, the lists the PWA copies from the server: the editable entry fields and the sync
// entities (outbox.js), the entry kinds with their labels and required details, statuses, visibilities,
// ways of knowing and Common Core areas (kinds.js); service areas, regulators and app roles
// (admin-lists.js). Used by tests/js/test_pwa_parity.py, which compares them with the server's own lists.
import * as kinds from '../../logbook/static/app/kinds.js';
import { EDITABLE, ENTITIES } from '../../logbook/static/app/outbox.js';
import { REGULATOR_LABELS, ROLE_LABELS, SERVICE_AREA_LABELS } from '../../logbook/static/app/admin-lists.js';
import { ENDED_SHOWN_DAYS, recentlyEnded } from '../../logbook/static/app/cycles.js';
import { SHORT_NAMES, standardLabel } from '../../logbook/static/app/standards.js';

process.stdout.write(JSON.stringify({
  EDITABLE,
  ENTITIES,
  KIND_LABELS: kinds.KIND_LABELS,
  STATUS_LABELS: kinds.STATUS_LABELS,
  VISIBILITY_LABELS: kinds.VISIBILITY_LABELS,
  REGULATOR_LABELS: kinds.REGULATOR_LABELS,
  WAYS_OF_KNOWING: kinds.WAYS_OF_KNOWING,
  COMMON_CORE: kinds.COMMON_CORE,
  REQUIRED_DETAILS: kinds.REQUIRED_DETAILS,
  SERVICE_AREAS: Object.keys(SERVICE_AREA_LABELS),
  REGULATORS: Object.keys(REGULATOR_LABELS),
  APP_ROLES: Object.keys(ROLE_LABELS),
  ENDED_SHOWN_DAYS,
  STANDARD_SHORT_NAMES: SHORT_NAMES,
  // standardLabel for a few (framework, code, title): compared with the server's standard_label
  STANDARD_LABELS: [['swe', '4.2', 'Supervision: use supervision'], ['teachers', '8', ''], ['local-x', 'a.1', 'Work together'], ['hcpc', '1', ' ']]
    .map(([f, c, t]) => [f, c, t, standardLabel(f, c, t)]),
  // recentlyEnded on the days around a cycle's end (30 Nov 2026), for the server's recently_ended
  RECENTLY_ENDED: Object.fromEntries(['2026-11-30', '2026-12-01', '2027-02-28', '2027-03-01', '2027-03-02']
    .map((day) => [day, recentlyEnded('2026-11-30', day)])),
}));
