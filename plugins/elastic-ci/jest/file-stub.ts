// Stands in for stylesheet and image imports in component tests.
export default 'test-file-stub';
