//! Whole numbers in decimal without `to_string` (an allocation) or `write!`
//! (the formatting machinery, a tenth of a microsecond of a Redis get in
//! wasm): the length prefixes of stored keys ([`crate::key::encode`]) and of
//! RESP commands.

/// The decimal digits of a number, most significant first, on the stack.
pub(crate) struct Decimal {
    /// Right-aligned: the digits are `digits[start..]`.
    digits: [u8; 20],
    start: usize,
}

impl Decimal {
    /// `n` in decimal (20 digits hold `u64::MAX`).
    pub(crate) fn new(mut n: usize) -> Self {
        let mut digits = [b'0'; 20];
        let mut start = digits.len();
        for slot in digits.iter_mut().rev() {
            // A digit: below 10.
            *slot = b'0' + (n % 10) as u8;
            start -= 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        Self { digits, start }
    }

    /// The digits, as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.digits.get(self.start..).unwrap_or_default()
    }

    /// The digits, as text (ASCII digits only, so always UTF-8).
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    #[test]
    fn numbers_are_written_as_to_string_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u32::MAX as usize, usize::MAX] {
            assert_eq!(Decimal::new(n).as_str(), n.to_string());
            assert_eq!(Decimal::new(n).as_bytes(), n.to_string().as_bytes());
        }
    }
}
