//! The durable state store behind `trig run --state DIR`: SQLite (through
//! rusqlite, SQLite bundled), chosen because a checkpoint must be one
//! atomic transaction that survives `kill -9` and power loss (WAL with
//! `synchronous=FULL`), because `secure_delete` plus `VACUUM` can prove
//! that an erased customer's bytes are gone from the files (GDPR), and
//! because the file can be opened with the `sqlite3` shell when debugging.
//!
//! Layout (`DIR/state.db`):
//! - `meta(key, value)`: `engine` (the engine's own state, postcard),
//!   `run` (input positions and output offsets, postcard), `format`;
//! - `customers(id, state)`: one postcard `CustomerRecord` per customer
//!   that holds anything; idle customers have no row.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use trig::runtime::snapshot::{Checkpoint, CustomerRecord, EngineMeta, SNAPSHOT_VERSION};

/// Where reading stopped in one input file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputPos {
    /// As given on the command line, and canonical (for matching).
    pub path: String,
    pub canonical: String,
    /// Bytes consumed and lines read.
    pub offset: u64,
    pub line: u64,
    /// SHA-256 (hex) of the file's bytes before `offset`, at most the
    /// first 4 KiB: a new daily file under the same name starts again at
    /// 0, while a file that only grew is resumed.
    pub fingerprint: String,
}

/// How far an output file was written when the checkpoint was taken.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutputPos {
    pub canonical: String,
    pub offset: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunMeta {
    pub inputs: Vec<InputPos>,
    pub outputs: Vec<OutputPos>,
}

pub struct Loaded {
    pub engine: EngineMeta,
    pub run: RunMeta,
    pub customers: Vec<CustomerRecord>,
}

pub struct Store {
    conn: Connection,
    pub dir: PathBuf,
}

fn err(what: &str, e: impl std::fmt::Display) -> String {
    format!("state store: {what}: {e}")
}

impl Store {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Store, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let conn = Connection::open(dir.join("state.db")).map_err(|e| err("open", e))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA secure_delete = ON;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, state BLOB NOT NULL);",
        )
        .map_err(|e| err("set up", e))?;
        Ok(Store {
            conn,
            dir: dir.to_path_buf(),
        })
    }

    fn meta_blob(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| err("read", e))
    }

    /// The saved state, or `None` for a new store.
    pub fn load(&self) -> Result<Option<Loaded>, String> {
        let Some(engine) = self.meta_blob("engine")? else {
            return Ok(None);
        };
        let engine: EngineMeta =
            postcard::from_bytes(&engine).map_err(|e| err("engine state is unreadable", e))?;
        if engine.version != SNAPSHOT_VERSION {
            return Err(format!(
                "state store: written by layout version {}, this trig reads version {SNAPSHOT_VERSION}",
                engine.version
            ));
        }
        let run = match self.meta_blob("run")? {
            Some(b) => postcard::from_bytes(&b).map_err(|e| err("run state is unreadable", e))?,
            None => RunMeta::default(),
        };
        let customers = self.customers()?;
        Ok(Some(Loaded {
            engine,
            run,
            customers,
        }))
    }

    pub fn customers(&self) -> Result<Vec<CustomerRecord>, String> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, state FROM customers ORDER BY id")
            .map_err(|e| err("read", e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(|e| err("read", e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, blob) = row.map_err(|e| err("read", e))?;
            let rec: CustomerRecord = postcard::from_bytes(&blob)
                .map_err(|e| err(&format!("customer `{id}` is unreadable"), e))?;
            out.push(rec);
        }
        Ok(out)
    }

    pub fn customer(&self, id: &str) -> Result<Option<CustomerRecord>, String> {
        let blob: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT state FROM customers WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| err("read", e))?;
        blob.map(|b| postcard::from_bytes(&b).map_err(|e| err("customer is unreadable", e)))
            .transpose()
    }

    /// Writes a checkpoint atomically: all of it, or (after a crash)
    /// none of it.
    pub fn write(&mut self, cp: &Checkpoint, run: &RunMeta) -> Result<(), String> {
        let tx = self.conn.transaction().map_err(|e| err("begin", e))?;
        {
            let mut upsert = tx
                .prepare_cached("INSERT OR REPLACE INTO customers (id, state) VALUES (?1, ?2)")
                .map_err(|e| err("write", e))?;
            for c in &cp.changed {
                let blob = postcard::to_stdvec(c).map_err(|e| err("encode", e))?;
                upsert
                    .execute(params![&*c.id, blob])
                    .map_err(|e| err("write", e))?;
            }
            let mut delete = tx
                .prepare_cached("DELETE FROM customers WHERE id = ?1")
                .map_err(|e| err("write", e))?;
            for id in &cp.removed {
                delete.execute([&**id]).map_err(|e| err("write", e))?;
            }
            let engine = postcard::to_stdvec(&cp.meta).map_err(|e| err("encode", e))?;
            let run = postcard::to_stdvec(run).map_err(|e| err("encode", e))?;
            let mut meta = tx
                .prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")
                .map_err(|e| err("write", e))?;
            meta.execute(params!["engine", engine])
                .map_err(|e| err("write", e))?;
            meta.execute(params!["run", run])
                .map_err(|e| err("write", e))?;
        }
        tx.commit().map_err(|e| err("commit", e))
    }

    /// Erases customers: their rows, and what the engine's own state holds
    /// about them; then rewrites the files so that no freed page keeps
    /// their bytes (secure_delete, VACUUM, WAL truncated). Returns how many
    /// had a row.
    pub fn forget(&mut self, ids: &[&str]) -> Result<usize, String> {
        let mut n = 0;
        {
            let tx = self.conn.transaction().map_err(|e| err("begin", e))?;
            for id in ids {
                n += tx
                    .execute("DELETE FROM customers WHERE id = ?1", [id])
                    .map_err(|e| err("delete", e))?;
            }
            let blob: Option<Vec<u8>> = tx
                .query_row("SELECT value FROM meta WHERE key = 'engine'", [], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(|e| err("read", e))?;
            if let Some(blob) = blob {
                let mut meta: EngineMeta = postcard::from_bytes(&blob)
                    .map_err(|e| err("engine state is unreadable", e))?;
                meta.forget(ids);
                let blob = postcard::to_stdvec(&meta).map_err(|e| err("encode", e))?;
                tx.execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'engine'",
                    params![blob],
                )
                .map_err(|e| err("write", e))?;
            }
            tx.commit().map_err(|e| err("commit", e))?;
        }
        self.conn
            .execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| err("compact", e))?;
        Ok(n)
    }

    /// Bytes used by the store files.
    pub fn size(&self) -> u64 {
        ["state.db", "state.db-wal", "state.db-shm"]
            .iter()
            .filter_map(|f| std::fs::metadata(self.dir.join(f)).ok())
            .map(|m| m.len())
            .sum()
    }
}
