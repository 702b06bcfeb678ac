//! The entities of the API v2.0 sample (resource-apis.md §1.2): for each entity set a static
//! [`EntityDef`] whose field table drives everything else: body validation ([`codec`]), `$filter`
//! typing and `$select`/`$orderby` (`odata`), SQL column names ([`store`]) and `$metadata`.
//! Column names are the API property names and come only from these tables.

mod address;
pub(crate) mod codec;
pub(crate) mod company;
mod customer;
mod item;
pub(crate) mod store;
mod vendor;

/// An enum property's type: BC sends and accepts its members as JSON strings.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EnumType {
    /// The CSDL name (`Microsoft.NAV.<name>`).
    pub(crate) name: &'static str,
    /// The members, as they appear in JSON; the first is the default.
    pub(crate) members: &'static [&'static str],
}

/// The type of a property, as BC declares it in `$metadata`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    /// `Edm.Guid`, stored lowercase hyphenated.
    Guid,
    /// `Edm.String` with BC's maximum length in characters.
    Text(usize),
    /// `Edm.Decimal`, a JSON number.
    Decimal,
    /// `Edm.Boolean`.
    Boolean,
    /// `Edm.Int64`.
    Int64,
    /// `Edm.DateTimeOffset`, always UTC.
    DateTime,
    /// A BC enum, a JSON string naming one member.
    Enum(&'static EnumType),
}

impl FieldType {
    /// The CSDL type name.
    pub(crate) fn edm_name(self) -> String {
        match self {
            Self::Guid => "Edm.Guid".to_owned(),
            Self::Text(_) => "Edm.String".to_owned(),
            Self::Decimal => "Edm.Decimal".to_owned(),
            Self::Boolean => "Edm.Boolean".to_owned(),
            Self::Int64 => "Edm.Int64".to_owned(),
            Self::DateTime => "Edm.DateTimeOffset".to_owned(),
            Self::Enum(e) => format!("Microsoft.NAV.{}", e.name),
        }
    }
}

/// One property of an entity.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Field {
    /// The JSON property name, also the SQL column name.
    pub(crate) name: &'static str,
    /// Its type.
    pub(crate) ty: FieldType,
    /// Whether a client may set it with POST or PATCH.
    pub(crate) writable: bool,
}

impl Field {
    /// A property clients may set.
    pub(crate) const fn rw(name: &'static str, ty: FieldType) -> Self {
        Self { name, ty, writable: true }
    }

    /// A property only the server sets.
    pub(crate) const fn ro(name: &'static str, ty: FieldType) -> Self {
        Self { name, ty, writable: false }
    }

    /// The same property, settable by clients.
    pub(crate) const fn writable(self) -> Self {
        Self { writable: true, ..self }
    }
}

/// An entity set of the API and how it is stored.
#[derive(Debug)]
pub(crate) struct EntityDef {
    /// The entity set name in URLs (`customers`), case-sensitive; also the SQL table name.
    pub(crate) set: &'static str,
    /// The entity type name in `$metadata` (`customer`).
    pub(crate) type_name: &'static str,
    /// BC's table caption for messages (`Customer`).
    pub(crate) caption: &'static str,
    /// Prefix of auto-assigned numbers (`C` gives `C00010`); `None` for companies.
    pub(crate) number_prefix: Option<&'static str>,
    /// Whether the set hangs under a company (`companies({id})/customers`).
    pub(crate) per_company: bool,
    /// Every property, `id` first.
    pub(crate) fields: &'static [Field],
}

impl EntityDef {
    /// The property called `name` (exact case, as OData).
    pub(crate) fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The qualified type name used in messages: `Microsoft.NAV.customer`.
    pub(crate) fn qualified_type(&self) -> String {
        format!("Microsoft.NAV.{}", self.type_name)
    }
}

impl PartialEq for EntityDef {
    fn eq(&self, other: &Self) -> bool {
        self.set == other.set
    }
}

impl Eq for EntityDef {}

/// `companies`: read-only.
pub(crate) static COMPANIES: EntityDef = company::DEF;
/// `customers`.
pub(crate) static CUSTOMERS: EntityDef = customer::DEF;
/// `items`.
pub(crate) static ITEMS: EntityDef = item::DEF;
/// `vendors`.
pub(crate) static VENDORS: EntityDef = vendor::DEF;

/// The entity sets that hang under a company, as they appear in the path.
pub(crate) static COMPANY_SETS: [&EntityDef; 3] = [&CUSTOMERS, &ITEMS, &VENDORS];

/// Every entity set, for `$metadata`.
pub(crate) static ALL: [&EntityDef; 4] = [&COMPANIES, &CUSTOMERS, &ITEMS, &VENDORS];

/// The per-company entity set called `name` (case-sensitive, as BC).
pub(crate) fn company_set(name: &str) -> Option<&'static EntityDef> {
    COMPANY_SETS.iter().copied().find(|d| d.set == name)
}
