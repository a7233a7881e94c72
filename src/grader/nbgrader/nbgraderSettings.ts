/** The parts of an nbgrader configuration Threadline must match to grade like nbgrader. */
import {
  BEGIN_HIDDEN_TESTS,
  BEGIN_SOLUTION,
  CODE_STUBS,
  END_HIDDEN_TESTS,
  END_SOLUTION,
  TEXT_STUB
} from '../../protocol/assignment.js';
import type { NbgraderMarkers } from './nbgraderBridge.js';

/**
 * Configured markers and stubs that differ from nbgrader's defaults, which are the ones Threadline's
 * release and matching know: grading with others would restore and check the wrong regions.
 */
export function markerProblems(markers: NbgraderMarkers): string[] {
  const problems: string[] = [];
  const expect = (name: string, actual: string, wanted: string) => {
    if (actual !== wanted) problems.push(`${name} = ${JSON.stringify(actual)} (only ${JSON.stringify(wanted)})`);
  };
  expect('ClearSolutions.begin_solution_delimeter', markers.beginSolution, BEGIN_SOLUTION);
  expect('ClearSolutions.end_solution_delimeter', markers.endSolution, END_SOLUTION);
  expect('ClearSolutions.text_stub', markers.textStub, TEXT_STUB);
  expect('ClearHiddenTests.begin_test_delimeter', markers.beginHiddenTests, BEGIN_HIDDEN_TESTS);
  expect('ClearHiddenTests.end_test_delimeter', markers.endHiddenTests, END_HIDDEN_TESTS);
  for (const [language, stub] of Object.entries(markers.codeStub))
    if (CODE_STUBS[language] !== undefined)
      expect(`ClearSolutions.code_stub["${language}"]`, stub, CODE_STUBS[language]);
  return problems;
}
