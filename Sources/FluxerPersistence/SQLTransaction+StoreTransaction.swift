import FluxerDomain

/// The one transaction type the store protocols of FluxerDomain are fulfilled with, on both backends.
extension SQLTransaction: StoreTransaction {}
