/// ISO 4217 currency codes.
public enum Currency {
    /// Whether `code` is an active ISO 4217 alphabetic code, exactly as listed (upper case).
    public static func isActive(_ code: String) -> Bool {
        activeCodes.contains(code)
    }

    /// How many decimals the currency's minor unit has (ISO 4217's exponent): amounts in the
    /// API are integers of minor units (contract section 10). 2 unless listed here; the codes
    /// without a minor unit (funds, metals, `XXX`) count in whole units.
    public static func minorUnitDigits(_ code: String) -> Int {
        if zeroDigitCodes.contains(code) { return 0 }
        if threeDigitCodes.contains(code) { return 3 }
        if fourDigitCodes.contains(code) { return 4 }
        return 2
    }

    /// An amount of minor units as people write it: `1050` EUR is `10.50 EUR`, `1050` JPY is
    /// `1050 JPY`, `1050` BHD is `1.050 BHD`.
    public static func format(minorUnits amount: Int64, _ code: String) -> String {
        let digits = minorUnitDigits(code)
        guard digits > 0 else { return "\(amount) \(code)" }
        let scale = Int64((0..<digits).reduce(1) { value, _ in value * 10 })
        let magnitude = amount.magnitude
        let fraction = String(magnitude % UInt64(scale))
        let padded = String(repeating: "0", count: digits - fraction.count) + fraction
        return "\(amount < 0 ? "-" : "")\(magnitude / UInt64(scale)).\(padded) \(code)"
    }

    private static let zeroDigitCodes: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
        "XAF", "XOF", "XPF",
        // No minor unit at all (metals, units of account, testing, "no currency").
        "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX",
    ]
    private static let threeDigitCodes: Set<String> = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]
    private static let fourDigitCodes: Set<String> = ["CLF", "UYW"]

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
