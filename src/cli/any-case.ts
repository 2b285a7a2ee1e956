import { incidentIdOf, modelNameOf } from '../core/names.js';
import type { Backend } from './backend-port.js';

/**
 * `backend` taking incident ids and model names in any case (`rollbot timeline inc-7`, `rollbot rollback
 * Fraud-Scorer`), as the API and Slack take them: in-process, the engine would find no incident inc-7. Done before
 * either backend, so that they agree, and an older bot gets the names as it stores them.
 */
export function inAnyCase(backend: Backend): Backend {
  return {
    ...backend,
    incident: (id) => backend.incident(incidentIdOf(id)),
    rollback: (request, onStep) =>
      backend.rollback({ ...request, model: modelNameOf(request.model) }, onStep),
    recordDeployment: (input) => backend.recordDeployment({ ...input, model: modelNameOf(input.model) }),
    resolve: (id, by, reason) => backend.resolve(incidentIdOf(id), by, reason),
    dismiss: (id, how) => backend.dismiss(incidentIdOf(id), how),
    note: (id, note) => backend.note(incidentIdOf(id), note),
    freeze: (target, how) => backend.freeze(modelNameOf(target), how),
    unfreeze: (target, how) => backend.unfreeze(modelNameOf(target), how),
    runDrill: (model, options) => backend.runDrill(modelNameOf(model), options),
  };
}
