import Foundation
import Testing
@testable import Scoring

@Suite struct ScoreScalingTests {
    let scaling = ScoreScaling(basePoints: 600, baseOdds: 19, pointsToDoubleOdds: 50)

    @Test func factorAndOffsetFollowTheDefinition() {
        #expect(abs(scaling.factor - 72.13475204444817) < 1e-9)
        #expect(abs(scaling.offset - (600 - 72.13475204444817 * log(19.0))) < 1e-9)
    }

    @Test func baseOddsScoreTheBasePoints() {
        #expect(abs(scaling.score(odds: 19) - 600) < 1e-9)
        #expect(abs(scaling.score(probabilityOfDefault: 0.05) - 600) < 1e-9)
    }

    @Test(arguments: [0.5, 1.0, 19.0, 100.0])
    func doublingTheOddsAddsThePDO(odds: Double) {
        #expect(abs(scaling.score(odds: 2 * odds) - scaling.score(odds: odds) - 50) < 1e-9)
        #expect(abs(scaling.score(odds: odds / 2) - scaling.score(odds: odds) + 50) < 1e-9)
    }

    @Test func probabilityOfDefaultInvertsTheScore() {
        for pd in [0.001, 0.05, 0.3, 0.9] {
            #expect(abs(scaling.probabilityOfDefault(score: scaling.score(probabilityOfDefault: pd)) - pd) < 1e-12)
        }
    }

    @Test func standardBandsMatchTheExampleCard() throws {
        let bands = GradeBand.standard(for: scaling)
        #expect(bands.map(\.grade) == Grade.allCases)
        #expect(bands.map(\.minimumScore) == [770, 720, 669, 617, 564, 513, 467, 417, nil])
        let card = try Scorecard(yaml: TestCards.exampleCardText())
        #expect(card.grades == bands)
    }
}
