//! Police forces, identified by their data.police.uk id.

use crate::slug_type;

slug_type!(
    /// A force's data.police.uk id, e.g. `avon-and-somerset`.
    ForceId,
    "force id",
    "avon-and-somerset"
);

/// A police force of England and Wales.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Force {
    pub id: ForceId,
    pub name: String,
    /// The ONS police force area code (E23… in England, W15… in Wales).
    pub ons_code: String,
    pub country: String,
}
