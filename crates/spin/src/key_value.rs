//! `spin:key-value/key-value@3.0.0` for app components, backed by glint's
//! store (table `kv`), so it works the same on sqlite and PostgreSQL and is
//! shared by replicas. A component may open only the stores its spin.toml
//! table lists in `key_value_stores` (Spin's rule); others are `access-denied`.

use wasmtime::component::{Accessor, FutureReader, HasData, Resource, ResourceTable, StreamReader};

use glint_store::Store;

wasmtime::component::bindgen!({
    inline: "
        package spin:key-value@3.0.0;
        interface key-value {
            resource store {
                open: static async func(label: string) -> result<store, error>;
                get: async func(key: string) -> result<option<list<u8>>, error>;
                set: async func(key: string, value: list<u8>) -> result<_, error>;
                delete: async func(key: string) -> result<_, error>;
                exists: async func(key: string) -> result<bool, error>;
                get-keys: async func() -> tuple<stream<string>, future<result<_, error>>>;
            }
            variant error { store-table-full, no-such-store, access-denied, other(string) }
        }
        world spin-key-value { import key-value; }
    ",
    world: "spin-key-value",
    with: { "spin:key-value/key-value.store": KvStore },
    // Making the stream and future fails only without concurrency support: a trap, not a panic.
    imports: { "spin:key-value/key-value.[method]store.get-keys": async | store | trappable },
});

use spin::key_value::key_value::{self, Error};

/// An open store: its label.
pub struct KvStore {
    label: String,
}

/// What the interface needs from a request's state.
pub struct KvView<'a> {
    pub table: &'a mut ResourceTable,
    pub store: &'a Store,
    /// The labels spin.toml grants the component.
    pub allowed: &'a [String],
}

/// [`HasData`] for [`KvView`].
pub struct KeyValueData;

impl HasData for KeyValueData {
    type Data<'a> = KvView<'a>;
}

impl key_value::Host for KvView<'_> {}

impl key_value::HostStore for KvView<'_> {
    fn drop(&mut self, rep: Resource<KvStore>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

fn db_error(e: glint_store::StoreError) -> Error {
    tracing::error!("key-value: {e}");
    Error::Other("the key-value database is unavailable".into())
}

/// The label and a handle on the database, for the store `this`.
fn open_store<U>(accessor: &Accessor<U, KeyValueData>, this: &Resource<KvStore>) -> Result<(String, Store), Error> {
    accessor.with(|mut access| {
        let view = access.get();
        let label = view.table.get(this).map_err(|e| Error::Other(e.to_string()))?.label.clone();
        Ok((label, view.store.clone()))
    })
}

impl<U> key_value::HostStoreWithStore<U> for KeyValueData {
    async fn open(accessor: &Accessor<U, Self>, label: String) -> Result<Resource<KvStore>, Error> {
        accessor.with(|mut access| {
            let view = access.get();
            if !view.allowed.contains(&label) {
                return Err(Error::AccessDenied);
            }
            view.table.push(KvStore { label }).map_err(|_| Error::StoreTableFull)
        })
    }

    async fn get(accessor: &Accessor<U, Self>, this: Resource<KvStore>, key: String) -> Result<Option<Vec<u8>>, Error> {
        let (label, store) = open_store(accessor, &this)?;
        store.kv_get(&label, &key).await.map_err(db_error)
    }

    async fn set(accessor: &Accessor<U, Self>, this: Resource<KvStore>, key: String, value: Vec<u8>) -> Result<(), Error> {
        let (label, store) = open_store(accessor, &this)?;
        store.kv_set(&label, &key, &value).await.map_err(db_error)
    }

    async fn delete(accessor: &Accessor<U, Self>, this: Resource<KvStore>, key: String) -> Result<(), Error> {
        let (label, store) = open_store(accessor, &this)?;
        store.kv_delete(&label, &key).await.map_err(db_error)
    }

    async fn exists(accessor: &Accessor<U, Self>, this: Resource<KvStore>, key: String) -> Result<bool, Error> {
        let (label, store) = open_store(accessor, &this)?;
        Ok(store.kv_get(&label, &key).await.map_err(db_error)?.is_some())
    }

    async fn get_keys(
        accessor: &Accessor<U, Self>,
        this: Resource<KvStore>,
    ) -> wasmtime::Result<(StreamReader<String>, FutureReader<Result<(), Error>>)> {
        let (keys, outcome) = match open_store(accessor, &this) {
            Ok((label, store)) => match store.kv_keys(&label).await {
                Ok(keys) => (keys, Ok(())),
                Err(e) => (vec![], Err(db_error(e))),
            },
            Err(e) => (vec![], Err(e)),
        };
        accessor.with(|mut access| {
            let keys = StreamReader::new(&mut access, keys)?;
            let outcome = FutureReader::new(&mut access, async move { Ok::<_, wasmtime::Error>(outcome) })?;
            Ok((keys, outcome))
        })
    }
}

/// Adds the interface to an app linker; `get` gives a store's view.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
    get: fn(&mut T) -> KvView<'_>,
) -> anyhow::Result<()> {
    Ok(key_value::add_to_linker::<T, KeyValueData>(linker, get)?)
}
