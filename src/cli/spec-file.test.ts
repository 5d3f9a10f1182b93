import { describe, expect, it } from 'vitest';
import { substituteSpecDir } from './spec-file.js';

describe('substituteSpecDir', () => {
  it('replaces ${PIER_SPEC_DIR} everywhere and quotes it in command and script', () => {
    const spec = {
      containers: [
        {
          command: 'python3 ${PIER_SPEC_DIR}/app.py',
          script: 'cd $PIER_SPEC_DIR && ./run.sh',
          env: [{ name: 'DATA', value: '${PIER_SPEC_DIR}/data' }],
        },
      ],
    };
    expect(substituteSpecDir(spec, '/srv/my models')).toEqual({
      containers: [
        {
          command: "python3 '/srv/my models'/app.py",
          script: "cd '/srv/my models' && ./run.sh",
          env: [{ name: 'DATA', value: '/srv/my models/data' }],
        },
      ],
    });
  });

  it('leaves specs without the variable untouched', () => {
    const spec = { name: 'x', containers: [{ command: 'python3 app.py', port: 8000 }] };
    expect(substituteSpecDir(spec, '/srv')).toEqual(spec);
  });
});
