/// ISO 4217 currency codes.
public enum Currency {
    /// Whether `code` is an active ISO 4217 alphabetic code, exactly as listed (upper case).
    public static func isActive(_ code: String) -> Bool {
        activeCodes.contains(code)
    }

    /// The alphabetic codes of ISO 4217 list one (currencies and funds in use) as published in
    /// 2025. Embedded rather than taken from the platform's locale data, which differs between
    /// macOS and Linux and includes withdrawn codes.
    ///
    /// Withdrawn codes are deliberately absent: `ANG` (replaced by `XCG` in 2025), `SLL` (by
    /// `SLE`), `HRK` (euro), `ZWL` (by `ZWG`), `MRO`, `STD`, `VEF`, `BYR`. Fund, precious-metal
    /// and special codes of list one (`BOV`, `XAU`, `XDR`, `XTS`, `XXX`, …) are kept: they
    /// are active codes, and refusing them would be a business rule the contract does not state.
    /// When ISO withdraws or adds a code, this list is the one place to change.
    public static let activeCodes: Set<String> = [
        "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN",
        "BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN",
        "BWP", "BYN", "BZD",
        "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
        "CVE", "CZK",
        "DJF", "DKK", "DOP", "DZD",
        "EGP", "ERN", "ETB", "EUR",
        "FJD", "FKP",
        "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD",
        "HKD", "HNL", "HTG", "HUF",
        "IDR", "ILS", "INR", "IQD", "IRR", "ISK",
        "JMD", "JOD", "JPY",
        "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
        "LAK", "LBP", "LKR", "LRD", "LSL", "LYD",
        "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV",
        "MYR", "MZN",
        "NAD", "NGN", "NIO", "NOK", "NPR", "NZD",
        "OMR",
        "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
        "QAR",
        "RON", "RSD", "RUB", "RWF",
        "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC",
        "SYP", "SZL",
        "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS",
        "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS",
        "VED", "VES", "VND", "VUV",
        "WST",
        "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF",
        "XPT", "XSU", "XTS", "XUA", "XXX",
        "YER",
        "ZAR", "ZMW", "ZWG",
    ]
}
