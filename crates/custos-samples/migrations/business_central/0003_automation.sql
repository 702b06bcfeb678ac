-- Business Central sample, Automation API data (resource-apis.md §2): the evaluationCompany flag of
-- automationCompanies, and the demo users that exist in a fresh BC tenant besides the apps' users.

ALTER TABLE companies ADD COLUMN evaluationCompany INTEGER NOT NULL DEFAULT 0;

INSERT INTO users (userSecurityId, userName, displayName, state, contactEmail, licenseType, modifiedAt) VALUES
    ('2a9c5b6e-5d1f-4c8e-9a61-1d5f0c6b7a01', 'ADMIN', 'Admin User', 'Enabled', 'admin@cronus.example', 'Full User',
     '2026-01-01T00:00:00.000Z'),
    ('2a9c5b6e-5d1f-4c8e-9a61-1d5f0c6b7a02', 'ANNIE', 'Annie Hines', 'Enabled', 'annie@cronus.example', 'Full User',
     '2026-01-01T00:00:00.000Z'),
    ('2a9c5b6e-5d1f-4c8e-9a61-1d5f0c6b7a03', 'JIM', 'Jim Olive', 'Disabled', 'jim@cronus.example', 'Full User',
     '2026-01-01T00:00:00.000Z');

INSERT INTO access_control (id, userSecurityId, roleId, company) VALUES
    ('5e3f8a10-7c2b-4d9e-8f01-3a6b9c0d1e01', '2a9c5b6e-5d1f-4c8e-9a61-1d5f0c6b7a01', 'SUPER', ''),
    ('5e3f8a10-7c2b-4d9e-8f01-3a6b9c0d1e02', '2a9c5b6e-5d1f-4c8e-9a61-1d5f0c6b7a02', 'D365 BUS FULL ACCESS', ''),
    ('5e3f8a10-7c2b-4d9e-8f01-3a6b9c0d1e03', '2a9c5b6e-5d1f-4c8e-9a61-1d5f0c6b7a03', 'D365 READ', '');
