import Domain
import Testing

/// Amounts are minor units of the currency (contract section 10): written by its exponent.
@Suite struct MinorUnitsTests {
    @Test func amountsAreWrittenByTheCurrencysExponent() {
        #expect(Currency.format(minorUnits: 1050, "EUR") == "10.50 EUR")
        #expect(Currency.format(minorUnits: 5, "USD") == "0.05 USD")
        #expect(Currency.format(minorUnits: 1050, "JPY") == "1050 JPY")
        #expect(Currency.format(minorUnits: 1050, "BHD") == "1.050 BHD")
        #expect(Currency.format(minorUnits: 12345, "CLF") == "1.2345 CLF")
        #expect(Currency.format(minorUnits: 0, "EUR") == "0.00 EUR")
        #expect(Currency.format(minorUnits: 9_007_199_254_740_991, "EUR") == "90071992547409.91 EUR")
    }
}
