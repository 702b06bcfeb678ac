-- The Community Training sample's own data (custos' shapes, see shapes.rs).
CREATE TABLE sample_meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '',
    tenant_id TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL UNIQUE COLLATE NOCASE,
    contact_type TEXT NOT NULL CHECK (contact_type IN ('Email', 'Phone')),
    organization_id TEXT REFERENCES organizations (id) ON DELETE SET NULL
) STRICT;

CREATE TABLE categories (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE courses (
    id INTEGER PRIMARY KEY NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    language TEXT NOT NULL,
    image TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE learning_paths (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL
) STRICT;

CREATE TABLE learning_path_courses (
    learning_path_id INTEGER NOT NULL REFERENCES learning_paths (id),
    position INTEGER NOT NULL,
    course_id INTEGER NOT NULL REFERENCES courses (id),
    PRIMARY KEY (learning_path_id, position)
) STRICT;
