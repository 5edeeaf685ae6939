// Prints, as JSON, the lists the PWA copies from the server: the editable entry fields and the sync
// entities (outbox.js), the entry kinds with their labels and required details, statuses, visibilities,
// ways of knowing and Common Core areas (kinds.js). Used by tests/js/test_pwa_parity.py, which compares
// them with the server's own lists.
import * as kinds from '../../logbook/static/app/kinds.js';
import { EDITABLE, ENTITIES } from '../../logbook/static/app/outbox.js';

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
}));
