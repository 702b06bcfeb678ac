//! The layout of a data directory and the server-side key files inside it.

use anyhow::Context;
use custos_server::tls::{DevTlsPaths, create_private_dir, write_file};
use std::path::{Path, PathBuf};

/// Paths inside `--data-dir`.
#[derive(Debug, Clone)]
pub(crate) struct DataDir {
    pub(crate) root: PathBuf,
    pub(crate) tls: DevTlsPaths,
}

impl DataDir {
    pub(crate) fn new(root: &Path) -> Self {
        Self { root: root.to_owned(), tls: DevTlsPaths::in_data_dir(root) }
    }

    /// The default database: SQLite inside the data directory.
    pub(crate) fn default_database_url(&self) -> String {
        format!("sqlite://{}", self.root.join("custos.db").display())
    }

    /// Whether `init` has run here (the admin profile is its last step).
    pub(crate) fn is_initialized(&self) -> bool {
        self.admin_profile().exists()
    }

    pub(crate) fn admin_profile(&self) -> PathBuf {
        self.root.join("admin.json")
    }

    pub(crate) fn demo_profile(&self) -> PathBuf {
        self.root.join("demo.json")
    }

    /// Creates the directory with mode 0700.
    pub(crate) fn create(&self) -> anyhow::Result<()> {
        create_private_dir(&self.root)?;
        create_private_dir(&self.root.join("keys"))?;
        Ok(())
    }

    /// The key-encryption key that seals signing keys at rest: from
    /// `CUSTOS_KEY_ENCRYPTION_KEY_FILE` when set, else `DIR/keys/kek` (generated, mode 0600).
    pub(crate) fn key_encryption_key(&self) -> anyhow::Result<[u8; 32]> {
        match std::env::var_os("CUSTOS_KEY_ENCRYPTION_KEY_FILE") {
            Some(path) => read_key(Path::new(&path)),
            None => load_or_create_key(&self.root.join("keys/kek")),
        }
    }

    /// The key of the client-secret hash (`DIR/keys/secret-hash`, generated, mode 0600).
    pub(crate) fn secret_hash_key(&self) -> anyhow::Result<[u8; 32]> {
        load_or_create_key(&self.root.join("keys/secret-hash"))
    }

    /// The key that MACs Graph paging tokens (`DIR/keys/paging`, generated, mode 0600).
    pub(crate) fn paging_key(&self) -> anyhow::Result<[u8; 32]> {
        load_or_create_key(&self.root.join("keys/paging"))
    }

    /// The key the admin portal seals its session cookies with (`DIR/keys/portal`, generated,
    /// mode 0600).
    pub(crate) fn portal_key(&self) -> anyhow::Result<[u8; 32]> {
        load_or_create_key(&self.root.join("keys/portal"))
    }

    /// The key of the sign-in pages' anti-CSRF tokens (`DIR/keys/csrf`, generated, mode 0600).
    pub(crate) fn csrf_key(&self) -> anyhow::Result<[u8; 32]> {
        load_or_create_key(&self.root.join("keys/csrf"))
    }
}

fn read_key(path: &Path) -> anyhow::Result<[u8; 32]> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read key file {}", path.display()))?;
    bytes.as_slice().try_into().map_err(|_| {
        anyhow::anyhow!("key file {} must hold exactly 32 bytes, it holds {}", path.display(), bytes.len())
    })
}

fn load_or_create_key(path: &Path) -> anyhow::Result<[u8; 32]> {
    if path.exists() {
        return read_key(path);
    }
    let key = custos_jose::secret::SecretHasher::generate_key();
    write_file(path, &key, 0o600)?;
    Ok(key)
}

/// Reads an option's value from `NAME_FILE` when `NAME` itself is not set (for secrets such as
/// database URLs with passwords).
pub(crate) fn from_file_env(value: Option<String>, env_name: &str) -> anyhow::Result<Option<String>> {
    if value.is_some() {
        return Ok(value);
    }
    match std::env::var_os(format!("{env_name}_FILE")) {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {env_name}_FILE ({})", Path::new(&path).display()))?;
            Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()))
        }
        None => Ok(None),
    }
}
