// Public surface of @feenet/clustering: search, K-Means, summaries, projection, tags,
// galleries on disk, contact sheets and evaluation metrics over FEENet embeddings.
export { type EmbeddingMatrix, embeddingMatrix, euclideanDistance, rowOf, selectRows } from './embeddings';
export {
  type FaceRecord,
  type Gallery,
  type GalleryModel,
  GalleryFormatError,
  createGallery,
  faceImagePath,
  loadGallery,
  rowOfFace,
  rowsWhere,
  saveGallery,
} from './gallery';
export {
  type NeighbourGraph,
  type NeighbourGraphOptions,
  type NeighbourIndex,
  type NeighbourQuery,
  type Neighbours,
  type SimilarFace,
  ExactIndex,
  findSimilarFaces,
  neighbourGraph,
} from './search';
export { type KMeansCluster, type KMeansOptions, type KMeansResult, kMeans } from './kmeans';
export { type ExpressionGroup, type ExpressionSummary, type SummaryOptions, summariseFaces, summarisePerson } from './summary';
export {
  type Projection,
  type ProjectionOptions,
  type ProjectionParams,
  type ProjectionProgress,
  projectEmbeddings,
  projectGallery,
  projectionKey,
} from './projection';
export {
  type ClusterProvenance,
  type ExpressionTag,
  type NewTag,
  type TagAnchors,
  type TagAssignment,
  type TagDefinition,
  type TagEdit,
  type TagEditKind,
  type TagExample,
  type TagId,
  type TagMatch,
  type TagTreeNode,
  type TaxonomyOpenOptions,
  DEFAULT_TAXONOMY_DB,
  TaxonomyError,
  TaxonomyStore,
  assignTags,
} from './taxonomy';
export { type ClusterTagOptions, tagFromCluster, tagFromFaces } from './tag-definitions';
export { type ContactSheetEntry, type ContactSheetOptions, writeContactSheet } from './contact-sheet';
export { clusterPurity, knnLabelAccuracy, knnLabelPredictions, labelAccuracy, normalisedMutualInformation } from './metrics';
export { seededRandom } from './prng';
export { applicableTags, rowsTaggedWith } from './gallery-tags';
export {
  type GalleryTripletOptions,
  type IdentityInvariance,
  type TwoClassAccuracy,
  type InspectedTriplet,
  type RowTriplet,
  type RatedTriplet,
  type TripletRating,
  identityInvariance,
  inspectTriplets,
  ratedTripletRows,
  twoClassTripletAccuracy,
  twoClassTriplets,
} from './gallery-triplets';
export { openWorkbenchDatabase } from './workbench-database';
export { galleryExportCsv, galleryExportRows, taxonomyExport, type GalleryExportParts, type GalleryExportRow, type TaxonomyExportNode } from './gallery-export';
