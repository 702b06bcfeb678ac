//! The per-address connection cap: how many connections each client address holds open, so
//! that one client cannot take every slot of the listener. An IPv4 address is one client; an
//! IPv6 client is its /64 prefix (the usual assignment to one site), and an IPv4-mapped IPv6
//! address is the IPv4 address it maps.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

/// Open connections per client address.
#[derive(Debug)]
pub(crate) struct PerAddress {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl PerAddress {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max, open: Mutex::new(HashMap::new()) })
    }

    /// A slot for one more connection from `ip`, or `None` when that client is at the cap.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let client = client_of(ip);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(client).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(AddressSlot { table: Arc::clone(self), client })
    }

    fn release(&self, client: IpAddr) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&client);
            }
        }
    }
}

/// One connection's place in the per-address count, given back when dropped.
#[derive(Debug)]
pub(crate) struct AddressSlot {
    table: Arc<PerAddress>,
    client: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        self.table.release(self.client);
    }
}

/// The key a connection from `ip` is counted under.
pub(crate) fn client_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & (u128::MAX << 64))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn each_client_has_its_own_count_and_slots_are_given_back() {
        let table = PerAddress::new(2);
        let first = table.admit(ip("127.0.0.1")).unwrap();
        let _second = table.admit(ip("::ffff:127.0.0.1")).unwrap();
        assert!(table.admit(ip("127.0.0.1")).is_none(), "a third connection from one address");
        assert!(table.admit(ip("127.0.0.2")).is_some(), "another address is not affected");
        drop(first);
        assert!(table.admit(ip("127.0.0.1")).is_some(), "a closed connection frees its slot");
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_bit_prefix() {
        let table = PerAddress::new(1);
        let _slot = table.admit(ip("2001:db8:1:2::1")).unwrap();
        assert!(table.admit(ip("2001:db8:1:2:ffff::9")).is_none());
        assert!(table.admit(ip("2001:db8:1:3::1")).is_some());
    }

    #[test]
    fn emptied_entries_are_removed() {
        let table = PerAddress::new(4);
        drop(table.admit(ip("10.0.0.1")));
        assert!(table.open.lock().unwrap().is_empty());
    }
}
